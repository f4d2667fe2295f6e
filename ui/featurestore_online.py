"""The feature store's online side on the Features page: materialise a feature (a job with progress),
its health (freshness, missing values, drift over time, the training/serving skew check), and scoring a
request by entity id through the same path the HTTP endpoint takes (only the id and the request-time
fields are sent; the online store fills in the catalog features the deployed model takes).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from core.data import datasets
from core.deployment import serving
from core.featurestore import catalog, charts, online, project_features
from core.featurestore.monitoring import feature_health
from core.featurestore.skew import skew_check
from core.formatting import format_count, format_probability
from core.i18n import _, ngettext
from core.problem.store import get_problem
from core.workspace import jobs
from core.workspace.errors import ConfigError
from core.workspace.jsonable import to_strict_json
from ui.text import escape_markdown
from ui.widgets import chart, job_panel

SKEW_KEY = "fs_skew_result"
SCORE_KEY = "fs_score_answer"


def _feature_choice(ws, pid: int, key: str) -> str | None:
    """A catalog feature to look at: this project's first, then the rest of the catalog."""
    used = project_features.project_feature_names(ws, pid)
    names = list(dict.fromkeys([*used, *catalog.list_definitions(ws)["name"].astype(str)]))
    if not names:
        st.info(_("The catalog is empty: define a feature or run the point-in-time lesson first."))
        return None
    return st.selectbox(
        _("Catalog feature"),
        names,
        key=key,
        format_func=lambda n: _("{name} (used here)").format(name=n) if n in used else n,
    )


def online_panel(ws, project: dict[str, Any]) -> None:
    pid = int(project["id"])
    name = _feature_choice(ws, pid, "fs_online_pick")
    if name is None:
        return
    st.caption(
        _(
            "Materialising computes the feature from its source table and every event recorded since: the values "
            "over time go to the offline store (for training), each entity's latest value to the online store "
            "(for serving)."
        )
    )
    job = jobs.latest_job(ws, pid, online.JOB_KIND)
    running = job is not None and job["status"] == "running"
    if st.button(_("Materialise {name}").format(name=name), key="fs_materialise", type="primary", disabled=running):
        online.start_materialise_job(ws, name, project_id=pid)
        st.rerun()
    if job is not None:
        job_panel(ws, job["id"], on_done=lambda done: _materialised(done["result"]))
    st.markdown(escape_markdown(charts.describe_freshness(online.freshness(ws, name))))
    health = feature_health(ws, name)
    chart(charts.plot_feature_health(health), charts.caption_feature_health(health), key="fs_health")
    skew_panel(ws, name)


def _materialised(result: dict[str, Any] | None) -> None:
    if not result:
        return
    st.success(
        _(
            "Feature {name} version {version} materialised: {rows} values over time offline, the latest value of "
            "{entities} entities online."
        ).format(
            name=escape_markdown(result["name"]),
            version=result["version"],
            rows=format_count(result["offline_rows"]),
            entities=format_count(result["online_entities"]),
        )
    )


def skew_panel(ws, name: str) -> None:
    if st.button(_("Check training/serving skew"), key="fs_skew"):
        st.session_state[SKEW_KEY] = skew_check(ws, name)
    result = st.session_state.get(SKEW_KEY)
    if not result or result.get("name") != name:
        st.caption(
            _(
                "The skew check compares, for a sample of entities, the value the online store serves with the "
                "value training would compute at the same moment: they must be equal."
            )
        )
        return
    show = st.success if result["consistent"] and result["checked"] else st.warning
    show(escape_markdown(charts.describe_skew(result)))
    if result["mismatches"]:
        st.dataframe(pd.DataFrame(result["mismatches"]), hide_index=True, width="stretch")


# -- Scoring by entity id --------------------------------------------------------------------------------------
def _served_features(ws, pid: int) -> tuple[list[dict[str, Any]], list[str]] | None:
    """(the catalog definitions the deployed model takes, the model's input columns), or None after
    saying why nothing can be scored by entity."""
    deployment = serving.get_active_deployment(ws, pid)
    if deployment is None:
        st.info(_("Nothing is deployed in this project yet: deploy a model (Deploy page) to score requests."))
        return None
    # The served version's inputs (its artifact hash-verified on load; a StudioError is one line).
    inputs = list(serving.load_served(ws, serving.get_serving_version(ws, deployment)["id"]).required_columns)
    used = catalog.project_definitions(ws, pid)
    in_catalog = set(catalog.list_definitions(ws)["name"].astype(str))
    dropped = [n for n in inputs if n in in_catalog and n not in names_of(used)]
    taken = [s for s in used if s["name"] in inputs] + [online.online_definition(ws, n) for n in dropped]
    if not used and not taken:
        st.info(
            _(
                "This project uses no catalog feature: add one (Catalog), then train and deploy again so the "
                "model takes it."
            )
        )
        return None
    if dropped:  # removed after training: the endpoint still fetches the served version of it
        st.info(
            _(
                "The deployed model still takes {features}, which this project no longer uses: the endpoint still "
                "fetches it online; train and deploy again to leave it out."
            ).format(features=escape_markdown(", ".join(dropped)))
        )
    if not taken:
        st.info(
            _(
                "The deployed model was trained before this project added its catalog features: train and deploy "
                "again, then score by entity id."
            )
        )
        return None
    return taken, inputs


def names_of(stored: list[dict[str, Any]]) -> list[str]:
    return [str(s["name"]) for s in stored]


def _example_fields(ws, pid: int, inputs: list[str], skip: set[str]) -> tuple[Any, dict[str, Any]]:
    """An entity id and the request-time fields of the project's newest row (the model's other inputs)."""
    dataset = datasets.latest_dataset(ws, pid, "cleaned") or datasets.latest_dataset(ws, pid)
    if dataset is None:
        return "", {}
    frame = datasets.load_dataset(ws, int(dataset["id"]))
    row = to_strict_json(frame.iloc[-1].to_dict()) if len(frame) else {}
    fields = {k: v for k, v in row.items() if k in inputs and k not in skip}
    return row, fields


def entity_scoring_panel(ws, project: dict[str, Any]) -> None:
    pid = int(project["id"])
    found = _served_features(ws, pid)
    if found is None:
        return
    taken, inputs = found
    names = [s["name"] for s in taken]
    entity = taken[0]["definition"].entity
    problem = get_problem(ws, pid)
    skip = {entity, *names, *([problem.target] if problem is not None else [])}
    example, fields = _example_fields(ws, pid, inputs, skip)
    st.caption(
        _(
            "A request names the {entity} and carries only what is known at request time; the endpoint fetches "
            "{features} from the online store, as the deployed model needs them."
        ).format(entity=escape_markdown(entity), features=escape_markdown(", ".join(names)))
    )
    entity_id = st.text_input(
        _("{entity} to score").format(entity=escape_markdown(entity)),
        value=str(example.get(entity, "") or ""),
        key="fs_score_entity",
    )
    text = st.text_area(
        _("Request-time fields (JSON)"),
        value=json.dumps(fields, ensure_ascii=False, indent=1),
        key="fs_score_fields",
        height=160,
    )
    if st.button(_("Score this request"), key="fs_score", type="primary"):
        st.session_state[SCORE_KEY] = _score(ws, pid, entity, entity_id, text, names)
    answer = st.session_state.get(SCORE_KEY)
    if answer:
        show_answer(answer)


def _score(ws, pid: int, entity: str, entity_id: str, text: str, names: list[str]) -> dict[str, Any]:
    """Score one row carrying only the entity id and the request-time fields through the live deployment,
    as the endpoint does (``entity_features.score_by_entity``); a refused request raises its StudioError."""
    from core.deployment.endpoint.entity_features import score_by_entity

    try:
        fields = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ConfigError(
            _("The request-time fields are not JSON ({error}); write them as an object of names and values.").format(
                error=exc.msg
            )
        ) from None
    if not isinstance(fields, dict):
        raise ConfigError(_("The request-time fields must be a JSON object of names and values."))
    if not entity_id.strip():
        raise ConfigError(_("Type the {entity} to score.").format(entity=entity))
    row = {**fields, entity: entity_id.strip()}
    fetched = online.online_features(ws, names, [entity_id.strip()])
    answers = score_by_entity(ws, pid, [row])
    shown = ["prediction", "score", "version", "status", "error", "problems", "score_of"]
    return {
        "request": row,
        "fetched": to_strict_json(fetched.to_dict(orient="records")),
        "result": to_strict_json(answers.iloc[0][[c for c in shown if c in answers.columns]].to_dict()),
        "entity": entity,
    }


def show_answer(answer: dict[str, Any]) -> None:
    entity, request = answer["entity"], answer["request"]
    st.markdown(_("**Sent** (only the id and the request-time fields):"))
    st.code(json.dumps({"rows": [request]}, ensure_ascii=False), language="json", wrap_lines=True)
    fetched = answer.get("fetched") or []
    if fetched:
        table = pd.DataFrame(fetched).rename(columns={"entity": entity})
        st.dataframe(table, hide_index=True, width="stretch")
        missing = [c for c in table.columns if c != entity and table[c].isna().all()]
        st.caption(
            _("The values the online store holds for this {entity}, as the endpoint filled them in.").format(
                entity=escape_markdown(entity)
            )
            if not missing
            else ngettext(
                "The online store holds no value of {features} for this {entity}.",
                "The online store holds no values of {features} for this {entity}.",
                len(missing),
            ).format(features=escape_markdown(", ".join(missing)), entity=escape_markdown(entity))
        )
    result = answer["result"]
    problems = result.get("problems") or []
    if result["status"] == "error":
        unknown = any(p.get("problem") == "unknown_entity" for p in problems)
        st.error(
            escape_markdown(
                _(
                    "The online store knows nothing of {entity} {id}: materialise the features, or send their "
                    "values in the request."
                ).format(entity=entity, id=request.get(entity))
                if unknown
                else _("Not scored: {error}").format(error=result.get("error") or "")
            )
        )
        return
    score = result.get("score")
    sentence = _("{entity} {id}: prediction {prediction}").format(
        entity=entity, id=request.get(entity), prediction=result.get("prediction")
    )
    if score is not None and result.get("score_of") is not None:
        sentence += " " + _("(chance of {positive}: {score}).").format(
            positive=result["score_of"], score=format_probability(float(score))
        )
    st.success(escape_markdown(sentence))
    if result["status"] != "scored":  # flagged or held for review: answered, with what is wrong
        for problem in problems:
            st.warning(escape_markdown(problem.get("message") or problem.get("problem") or ""))
    st.caption(
        _("Answered by {version}, the same way the HTTP endpoint answers POST /predict.").format(
            version=escape_markdown(result.get("version") or "")
        )
    )

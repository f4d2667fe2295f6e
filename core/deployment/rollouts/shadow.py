"""Shadow: the challenger scores every request without answering. The readout: how often the two
agree, how their scores differ, where they disagree most (categories of a categorical input, quartiles
of a numeric one), and, once labels arrive, the metric each would have had, with McNemar's exact test
on the requests where exactly one of them was right — and, when the project is judged on another metric
(ROC-AUC, F1, RMSE…), that metric too, paired (``paired_metric``): it decides the verdict."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sp

from core.deployment import serving
from core.deployment.rollouts.class_scores import challenger_scores_of_champion_class
from core.deployment.rollouts.paired_metric import compare_on_project_metric, describe_p_value
from core.deployment.rollouts.records import record_event
from core.deployment.rollouts.traffic import TrafficRun, answer_values, get_labelled_df
from core.deployment.routing import RoutingConfig
from core.formatting import localize_number_text
from core.i18n import _, use_language
from core.workspace.database import Workspace
from core.workspace.progress import Progress

MIN_SEGMENT = 20  # requests a segment needs to be ranked
MAX_CATEGORIES = 20


def get_disagreement_by_segment(inputs: pd.DataFrame, disagree: np.ndarray, top: int = 10) -> pd.DataFrame:
    """Disagreement rate per segment: each category of a categorical input, each quartile of a numeric
    one; segments with at least MIN_SEGMENT requests, highest rate first."""
    frames = []
    for column in inputs.columns:
        values = inputs[column]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_CATEGORIES:
            groups = pd.qcut(values.astype(float), 4, duplicates="drop").astype(str)
        elif values.nunique() <= MAX_CATEGORIES:
            groups = values.astype(str)
        else:
            continue
        table = pd.DataFrame({"segment": groups.to_numpy(), "disagree": disagree}).groupby("segment")["disagree"]
        frame = table.agg(["mean", "size"]).reset_index()
        frame.insert(0, "column", str(column))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["column", "segment", "disagreement", "requests"])
    out = pd.concat(frames, ignore_index=True).rename(columns={"mean": "disagreement", "size": "requests"})
    out = out[out["requests"] >= MIN_SEGMENT]
    return out.sort_values(["disagreement", "requests"], ascending=[False, False]).head(top).reset_index(drop=True)


def mcnemar_exact(champion_right: np.ndarray, shadow_right: np.ndarray) -> float:
    """Two-sided exact McNemar p-value: a binomial test on the requests where exactly one was right."""
    b = int((champion_right & ~shadow_right).sum())
    c = int((~champion_right & shadow_right).sum())
    return 1.0 if b + c == 0 else float(sp.binomtest(c, b + c, 0.5).pvalue)


def shadow_readout(
    answers: pd.DataFrame,
    inputs: pd.DataFrame,
    shadow_scores: np.ndarray,
    labelled: pd.DataFrame,
    *,
    kind: str,
    higher_is_better: bool,
    alpha: float = 0.05,
    metric: str | None = None,
    positive_class: str | None = None,
) -> dict[str, Any]:
    """The comparison: agreement, score differences, segments, and the labelled metric of each.
    ``shadow_scores`` must be comparable with the champion's scores (multi-class: the shadow's
    probability of the champion's predicted class, see class_scores). ``metric``: the project's metric
    (with a yes/no model's ``positive_class``), compared paired when it is not accuracy or MAE."""
    answered = (answers["error"] == "").to_numpy()
    champion = answers["prediction"].astype(str).to_numpy()
    shadow = answers["shadow_prediction"].astype(str).to_numpy()
    if kind == "proportion":
        disagree = champion != shadow
    else:
        a = pd.to_numeric(answers["prediction"], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(answers["shadow_prediction"], errors="coerce").to_numpy(dtype=float)
        disagree = np.abs(a - b) > 0.1 * np.nanstd(a)  # "disagree": a tenth of a standard deviation apart
    disagree = disagree[answered]
    diff = np.asarray(shadow_scores, dtype=float)[answered] - answers["score"].to_numpy(dtype=float)[answered]
    diff = diff[np.isfinite(diff)]
    segments = get_disagreement_by_segment(inputs.loc[answered].reset_index(drop=True), disagree)
    labelled_metric = _labelled_metric(labelled, kind, higher_is_better, alpha)
    agreement = 1 - float(disagree.mean()) if len(disagree) else math.nan
    readout = {
        "requests": int(answered.sum()),
        "agreement": agreement,
        # What "agree" means: the same answer, or for numbers within a tenth of a standard deviation.
        "agreement_means": "same answer" if kind == "proportion" else "within 0.1 standard deviation",
        "score_difference": {
            "mean": float(diff.mean()) if len(diff) else math.nan,
            **{
                f"q{int(q * 100):02d}": float(np.quantile(diff, q)) if len(diff) else math.nan
                for q in (0.05, 0.5, 0.95)
            },
        },
        "score_differences": [round(float(d), 5) for d in diff],
        "segments": segments.to_dict(orient="records"),
        "metric": labelled_metric,
        "project_metric": compare_on_project_metric(labelled, metric, positive_class),
    }
    readout["verdict"], readout["sentence"] = _verdict(readout, kind, alpha)
    with use_language("en"):  # the audit log stores English (see stored_evidence)
        readout["sentence_en"] = _verdict(readout, kind, alpha)[1]
    return readout


def _labelled_metric(labelled: pd.DataFrame, kind: str, higher_is_better: bool, alpha: float) -> dict[str, Any]:
    rows = labelled[labelled["shadow_prediction"].notna()]
    if rows.empty:
        return {"labelled": 0, "champion": math.nan, "shadow": math.nan, "p_value": math.nan, "test": ""}
    champion = answer_values(rows["prediction"], rows["label"], kind)
    shadow = answer_values(rows["shadow_prediction"], rows["label"], kind)
    if kind == "proportion":
        p_value, test = mcnemar_exact(champion == 1, shadow == 1), "McNemar exact test"
    else:
        p_value, test = (float(sp.ttest_rel(shadow, champion).pvalue) if len(rows) > 1 else math.nan), "paired t-test"
    better = (shadow.mean() > champion.mean()) == higher_is_better and shadow.mean() != champion.mean()
    return {
        "labelled": len(rows),
        "name": "accuracy" if kind == "proportion" else "mean absolute error",
        "champion": float(champion.mean()),
        "shadow": float(shadow.mean()),
        "p_value": p_value,
        "test": test,
        "shadow_better": bool(better),
    }


def _verdict(readout: dict[str, Any], kind: str, alpha: float) -> tuple[str, str]:
    """The verdict code (stored, English) and its sentence in the current language."""
    m = readout["metric"]
    agree = (
        _("They agree on {share} of {n} requests")
        if kind == "proportion"
        else _(
            "They agree on {share} of {n} requests (within a tenth of a standard deviation of the champion's "
            "predictions)"
        )
    ).format(share=_num(f"{readout['agreement']:.1%}"), n=_num(f"{readout['requests']:,}"))
    if not m["labelled"]:
        return "keep watching", _("{agree}; no labels have arrived yet to say which is right more often.").format(
            agree=agree
        )
    numbers = _("{metric} champion {a}, shadow {b} on {n} labelled requests (p = {p})").format(
        metric=m["name"],
        a=_num(f"{m['champion']:.3f}"),
        b=_num(f"{m['shadow']:.3f}"),
        n=_num(f"{m['labelled']:,}"),
        p=_num(f"{m['p_value']:.3g}"),
    )
    project = readout.get("project_metric")
    if project:  # the project's own metric decides; accuracy or MAE is told beside it
        numbers = _(
            "{metric} champion {a}, shadow {b} on {n} labelled requests (paired bootstrap, {p}); "
            "{other} champion {other_a}, shadow {other_b} ({test}, p = {other_p})"
        ).format(
            metric=project["name"],
            a=_num(f"{project['champion']:.3f}"),
            b=_num(f"{project['shadow']:.3f}"),
            n=_num(f"{project['labelled']:,}"),
            p=_num(describe_p_value(project["p_value"])),
            other=m["name"],
            other_a=_num(f"{m['champion']:.3f}"),
            other_b=_num(f"{m['shadow']:.3f}"),
            test=m["test"],
            other_p=_num(f"{m['p_value']:.2g}"),
        )
        m = project
    if m["p_value"] < alpha and m["shadow_better"]:
        verdict, text = "promote the shadow", _("{agree}; the shadow would have done better: {numbers}.")
    elif m["p_value"] < alpha:
        verdict, text = "keep the champion", _("{agree}; the shadow would have done worse: {numbers}.")
    else:
        verdict, text = "keep the champion", _("{agree}; the shadow would not have done clearly better: {numbers}.")
    return verdict, text.format(agree=agree, numbers=numbers)


def _num(text: str) -> str:
    return localize_number_text(text)


def stored_evidence(readout: dict[str, Any]) -> dict[str, Any]:
    """What the event and the audit log keep of a readout: everything but the score differences, with
    the sentence in English (the page shows the reader's language)."""
    evidence = {k: v for k, v in readout.items() if k not in ("score_differences", "sentence_en")}
    return evidence | {"sentence": readout.get("sentence_en", readout["sentence"])}


def run_shadow(
    ws: Workspace,
    project_id: int,
    traffic: TrafficRun,
    champion_id: int,
    challenger_id: int,
    *,
    kind: str = "proportion",
    higher_is_better: bool = True,
    progress: Progress | None = None,
    metric: str | None = None,
) -> dict[str, Any]:
    """Deploy the challenger in the shadow, send all of ``traffic``, wait for the labels owed, compare
    (on accuracy or MAE, and on the project's ``metric`` when it is another)."""
    deployment = serving.create_deployment(
        ws,
        project_id,
        RoutingConfig("shadow"),
        champion_id,
        challenger_id,
        reason="shadow comparison",
        rollout={"strategy": "shadow", "state": {"status": "running"}},
    )
    start, total = traffic.position, traffic.remaining
    answers = traffic.send(
        lambda: deployment,
        total,
        on_batch=(lambda _b: progress(min(1.0, 1 - traffic.remaining / total), _("Shadow: sending requests…")))
        if progress
        else None,
    )
    traffic.deliver_due(all_pending=True)
    inputs = traffic.inputs.iloc[start : start + len(answers)].reset_index(drop=True)
    challenger = serving.load_served(ws, challenger_id)
    if "shadow_score" in answers and answers["shadow_score"].notna().any():
        shadow_scores = answers["shadow_score"].to_numpy(dtype=float)
    else:  # until the endpoint logs the shadow's score: the same version scores the same rows
        shadow_scores = challenger.score(inputs)[1]
    # multi-class: the shadow's probability of the class the champion answered, not of its own top class
    champion = serving.load_served(ws, champion_id)
    shadow_scores = challenger_scores_of_champion_class(
        champion, challenger, inputs, answers["prediction"], shadow_scores
    )
    labelled = get_labelled_df(ws, [deployment["id"]])
    readout = shadow_readout(
        answers,
        inputs,
        shadow_scores,
        labelled,
        kind=kind,
        higher_is_better=higher_is_better,
        metric=metric,
        positive_class=serving.positive_class(champion),
    )
    evidence = stored_evidence(readout)
    record_event(
        ws,
        deployment,
        "shadow_readout",
        readout["verdict"],
        evidence,
        rollout={"strategy": "shadow", "state": {"status": "read", "verdict": readout["verdict"]}},
    )
    return {"readout": readout, "deployment_id": deployment["id"], "requests": len(answers)}

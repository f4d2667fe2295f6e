"""The model-extraction demo and the per-key request table the monitor reads.

``run_extraction_demo`` plays the thief: it sends ``queries`` rows drawn uniformly over the range of
every input (what someone without the data would do) to the project's HTTP endpoint, in process
(FastAPI's test client on ``create_app``: the same routes, validation and prediction log as a real
client), with an API key of its own (``core.security.keys``: created for the run, named ``key``, left
active so the class can revoke it as the defence), trains a copy on the answers, and reports the copy's
fidelity (how often it agrees with the deployed model on held-out rows it never asked about) and the
extraction monitor's verdict, which fires for that key. The result is saved by run id.

Which key asked: the endpoint records every request per key (``keys.key_usage``, with the request ids
of its rows); the studio's own traffic (Deploy's rows, the simulator) never passes the endpoint's gate,
so its source (ui, simulator) stands in for a key.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from core.deployment.prediction_log import fill_input_json
from core.i18n import _
from core.security.attacks import Deployed, _save, get_saved, load_deployed
from core.security.extraction import KEY, TS, ExtractionConfig, get_extraction_report
from core.security.keys import create_key, key_usage, list_keys
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, StudioError
from core.workspace.progress import Progress

EXTRACTION = "extraction"
DEMO_KEY = "extraction-demo"
BATCH = 100
MAX_QUERIES = 20000
MAX_LOG_ROWS = 50000


def key_labels(ws: Workspace, project_id: int) -> dict[int, str]:
    """{key id: how the monitor names the key}: its name, with its id when several keys share it."""
    keys = list_keys(ws, project_id)
    counts = keys["name"].value_counts() if len(keys) else pd.Series(dtype=int)
    return {int(i): (str(n) if counts[n] == 1 else f"{n} #{i}") for i, n in zip(keys["id"], keys["name"])}


def get_requests_df(ws: Workspace, project_id: int, *, since: float | None = None) -> pd.DataFrame:
    """The project's logged answers as the extraction monitor reads them: key, ts, status, problem_codes
    (what validation found in the row) and the input columns (the newest ``MAX_LOG_ROWS``). ``key``
    is the API key that asked (``core.security.keys``' usage), or the source (ui, simulator) for the
    studio's own traffic, which never passes the endpoint's gate."""
    rows = ws.query(
        f"""SELECT p.id, p.ts, p.request_id, COALESCE(p.source, 'ui') AS source,
                  COALESCE(p.status, 'scored') AS status, p.problems_json, p.input_json
           FROM predictions p JOIN deployments d ON d.id = p.deployment_id
           WHERE d.project_id = ? AND p.ts >= ? ORDER BY p.id DESC LIMIT {MAX_LOG_ROWS}""",
        (project_id, since if since is not None else 0.0),
    )
    if not rows:
        return pd.DataFrame(columns=[KEY, TS, "status", "problem_codes"])
    log = fill_input_json(ws, pd.DataFrame(rows))
    usage = key_usage(ws, project_id)
    labels = key_labels(ws, project_id)
    asked = {
        str(rid): labels.get(int(k), str(k)) for k, ids in zip(usage["key_id"], usage["request_ids"]) for rid in ids
    }
    keys = [asked.get(str(rid), str(source)) for rid, source in zip(log["request_id"], log["source"])]
    inputs = pd.DataFrame([json.loads(t) if isinstance(t, str) and t else {} for t in log["input_json"]])
    head = pd.DataFrame(
        {
            KEY: keys,
            TS: log["ts"].astype(float),
            "status": log["status"],
            "problem_codes": [_codes(p) for p in log["problems_json"]],
        }
    )
    frame = pd.concat([head, inputs], axis=1)
    return frame.iloc[::-1].reset_index(drop=True)


def _codes(problems_json: Any) -> list[str]:
    """The problem codes (above_max, unknown_category…) a logged row's validation found."""
    if not isinstance(problems_json, str) or not problems_json:
        return []
    return [str(p.get("problem", "")) for p in json.loads(problems_json) if isinstance(p, dict)]


def uniform_queries(deployed: Deployed, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` rows drawn uniformly over the range (numbers) or the values (categories, dates) of every
    input the training rows show: how a thief without the data sweeps the model."""
    rng = np.random.default_rng(seed)
    reference = deployed.loaded.reference
    out: dict[str, Any] = {}
    for column in deployed.loaded.input_columns:
        values = reference[column].dropna() if column in reference.columns else pd.Series(dtype=object)
        if values.empty:
            out[column] = [None] * n
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.sample(n, replace=True, random_state=seed).dt.strftime("%Y-%m-%d").to_list()
        elif pd.api.types.is_bool_dtype(values):
            out[column] = rng.random(n) < 0.5
        elif pd.api.types.is_numeric_dtype(values):
            low, high = float(values.min()), float(values.max())
            drawn = rng.uniform(low, high, n)
            whole = bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
            out[column] = np.round(drawn).astype(np.int64) if whole else np.round(drawn, 2)
        else:
            choices = values.astype(str).unique()
            if len(choices) > 0.5 * len(values):  # an identifier: made up
                out[column] = [f"Q{seed}-{i:06d}" for i in range(n)]
            else:
                out[column] = rng.choice(choices, n)
    return pd.DataFrame(out)


def query_endpoint(
    ws: Workspace, project_id: int, rows: pd.DataFrame, key: str, progress: Progress | None = None
) -> list[Any]:
    """Send ``rows`` to the project's endpoint in process, in batches, with the API key ``key`` (the
    secret itself); returns the prediction of each row (None where the endpoint failed it)."""
    from fastapi.testclient import TestClient

    from core.deployment.endpoint.app import create_app

    answers: list[Any] = []
    records = json.loads(rows.to_json(orient="records", date_format="iso"))
    counter = int(time.time() * 1000)
    with TestClient(create_app(ws.root, project_id)) as client:
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            ids = [f"xdemo-{counter}-{start + i}" for i in range(len(batch))]
            response = client.post(
                "/predict", json={"rows": batch, "request_ids": ids}, headers={"Authorization": f"Bearer {key}"}
            )
            if response.status_code != 200:
                raise StudioError(
                    _("The endpoint refused the demo's questions ({status}): {detail}").format(
                        status=response.status_code, detail=response.text[:300]
                    )
                )
            answers += [r.get("prediction") for r in response.json()["results"]]
            if progress is not None:
                progress(
                    0.7 * (start + len(batch)) / len(records), _("Asked {n} questions…").format(n=start + len(batch))
                )
    return answers


def train_copy(X: pd.DataFrame, answers: list[Any]) -> Any:
    """A copy of the model trained on its answers: gradient boosting on the inputs as they were sent."""
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
    encoder = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1), categorical),
        remainder="passthrough",
    )
    copy = make_pipeline(encoder, HistGradientBoostingClassifier(random_state=0, max_iter=150))
    y = np.asarray([str(a) for a in answers], dtype=object)
    return copy.fit(X.astype({c: str for c in categorical}), y)


def run_extraction_demo(
    ws: Workspace,
    project_id: int,
    queries: int = 2000,
    *,
    key: str = DEMO_KEY,
    seed: int = 0,
    progress: Progress | None = None,
    config: ExtractionConfig | None = None,
) -> dict[str, Any]:
    """Copy the deployed model through its endpoint with ``queries`` questions; returns (and saves by
    run id) the copy's fidelity on the holdout, the monitor's report per key and the key's alert."""
    if not 100 <= queries <= MAX_QUERIES:
        raise ConfigError(
            _(
                "The number of questions of the extraction demo must be between 100 and {most}; got {value} instead."
            ).format(most=MAX_QUERIES, value=queries)
        )
    report = progress or (lambda fraction, message: None)
    deployed = load_deployed(ws, project_id)
    started = time.time()
    X = uniform_queries(deployed, queries, seed)
    secret, row = create_key(ws, project_id, name=key)
    answers = query_endpoint(ws, project_id, X, secret, report)
    report(0.75, _("Training a copy on the answers…"))
    known = [i for i, a in enumerate(answers) if a is not None]
    copy = train_copy(X.iloc[known].reset_index(drop=True), [answers[i] for i in known])
    holdout = deployed.X
    original = deployed.loaded.model.decide(holdout)[0].astype(str)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
    copied = np.asarray(copy.predict(holdout[X.columns].astype({c: str for c in categorical})), dtype=str)
    fidelity = float(np.mean(copied == original)) if len(holdout) else float("nan")
    report(0.9, _("Checking the keys' questions…"))
    requests = get_requests_df(ws, project_id, since=started - 30 * 24 * 3600)
    table = get_extraction_report(requests, deployed.loaded.reference, config or ExtractionConfig())
    label = key_labels(ws, project_id).get(int(row["id"]), key)
    mine = table[table[KEY] == label]
    saved = {
        "run_id": deployed.run_id,
        "version_id": deployed.version["id"],
        "key": label,
        "key_id": int(row["id"]),
        "queries": queries,
        "answered": len(known),
        "fidelity": fidelity,
        "holdout_rows": len(holdout),
        "majority_share": float(pd.Series(original).value_counts(normalize=True).iloc[0]) if len(holdout) else None,
        "flagged": bool(mine["flagged"].iloc[0]) if len(mine) else False,
        "report": json.loads(table.to_json(orient="records")),
        "message": _("Extraction demo done."),
    }
    _save(ws, deployed.run_id, EXTRACTION, saved)
    report(1.0, _("Extraction demo done."))
    return saved


def get_saved_extraction(ws: Workspace, run_id: int) -> dict[str, Any] | None:
    return get_saved(ws, run_id, EXTRACTION)


EXTRACTION_JOB = "security-extraction"


def start_extraction_job(ws: Workspace, project_id: int, queries: int, key: str = DEMO_KEY) -> int:
    """The extraction demo as a job (progress while it asks its questions); its result is saved by run id."""
    from core.workspace.jobs import start_job

    if not 100 <= queries <= MAX_QUERIES:  # refused before a job starts, so the page says it at once
        raise ConfigError(
            _(
                "The number of questions of the extraction demo must be between 100 and {most}; got {value} instead."
            ).format(most=MAX_QUERIES, value=queries)
        )
    return start_job(
        ws,
        project_id,
        EXTRACTION_JOB,
        lambda progress: run_extraction_demo(ws, project_id, queries, key=key, progress=progress),
    )

"""The simulated endpoint: routing strategies, prediction logging, and what requests may look like."""

import json

import numpy as np
import pandas as pd
import pytest

from core.deployment import log_writer, prediction_log, serving
from core.deployment.routing import RoutingConfig
from core.pipeline import PipelineConfig, run_pipeline, stage_deploy, stage_register
from core.training import tracking
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, DataError, NotFoundError
from core.workspace.jsonable import to_strict_json

N_REQUESTS = 200


def _table(n: int = 600, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, n)
    color = rng.choice(["red", "green", "blue"], n)
    logit = 1.5 * x1 + 1.5 * (color == "red") - 0.2 * x2
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"cust_id": [f"C{i:05d}" for i in range(n)], "x1": x1, "x2": x2, "color": color, "y": y})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One trained project: champion = the best run, challenger = another model family."""
    ws = Workspace(tmp_path_factory.mktemp("serving") / "ws")
    table = _table()
    summary = run_pipeline(
        ws, table, None, PipelineConfig(target="y", project_name="serve", cv_folds=3, windows=2, rows_per_window=100)
    )
    pid = 1
    experiment = tracking.latest_experiment(ws, pid)
    runs = tracking.get_runs_df(ws, pid, experiment["id"])
    other = runs[(runs["run"] != experiment["best_run_id"]) & (runs["key"] != "baseline")]
    challenger = stage_register(ws, pid, int(other.iloc[0]["run"]), alias="challenger", override_reason="test")
    requests = table.drop(columns=["y"]).iloc[:N_REQUESTS].reset_index(drop=True)
    return {"ws": ws, "pid": pid, "summary": summary, "challenger": challenger, "requests": requests}


def _deploy(served, **routing):
    return stage_deploy(served["ws"], served["pid"], RoutingConfig(**routing))


def _labels(served):
    ws = served["ws"]
    dep = serving.get_active_deployment(ws, served["pid"]) or _deploy(served, strategy="single")
    champion = serving.load_served(ws, dep["champion_version_id"]).label
    challenger = serving.load_served(ws, served["challenger"]["id"]).label
    assert champion != challenger
    return champion, challenger


def _log_count(ws, deployment_id) -> int:
    return len(serving.get_prediction_log_df(ws, deployment_id, limit=1_000_000))


def test_single_serves_everything_with_the_champion(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="single")
    assert dep["challenger_version_id"] is None
    out = serving.predict(ws, dep, served["requests"])
    champion_label, _ = _labels(served)
    assert len(out) == N_REQUESTS
    assert set(out["arm"]) == {"champion"}
    assert set(out["version"]) == {champion_label}
    assert set(out["prediction"]) <= {"yes", "no"}
    assert out["score"].between(0, 1).all()
    assert (out["latency_ms"] > 0).all()
    assert out["shadow_prediction"].isna().all()
    # Binary labels follow the scores (P(yes) ≥ 0.5 → "yes").
    assert ((out["score"] >= 0.5) == (out["prediction"] == "yes")).all()
    # The model learned the planted signal: higher x1 → higher P(yes).
    assert np.corrcoef(served["requests"]["x1"], out["score"])[0, 1] > 0.3


def test_canary_half_share_uses_both_arms(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="canary", challenger_share=0.5)
    out = serving.predict(ws, dep, served["requests"])
    champion_label, challenger_label = _labels(served)
    counts = out["arm"].value_counts()
    assert set(counts.index) == {"champion", "challenger"}
    assert 0.3 < counts["challenger"] / N_REQUESTS < 0.7
    assert set(out.loc[out["arm"] == "champion", "version"]) == {champion_label}
    assert set(out.loc[out["arm"] == "challenger", "version"]) == {challenger_label}


def test_shadow_champion_serves_and_challenger_scores_silently(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="shadow")
    out = serving.predict(ws, dep, served["requests"])
    assert set(out["arm"]) == {"champion"}
    assert out["shadow_prediction"].notna().all()
    challenger = serving.load_served(ws, served["challenger"]["id"])
    expected, _ = challenger.score(served["requests"])
    assert out["shadow_prediction"].tolist() == expected.tolist()
    logged = serving.get_prediction_log_df(ws, dep["id"], limit=10_000)
    assert logged["shadow_prediction"].notna().all()


@pytest.mark.parametrize("color, arm", [("green", "challenger"), ("blue", "champion")])
def test_blue_green_sends_everything_to_the_active_color(served, color, arm):
    dep = _deploy(served, strategy="blue_green", active_color=color)
    out = serving.predict(served["ws"], dep, served["requests"])
    assert set(out["arm"]) == {arm}


def test_ab_same_key_same_arm_across_calls(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="ab", challenger_share=0.5)
    keys = [f"user-{i}" for i in range(N_REQUESTS)]
    first = serving.predict(ws, dep, served["requests"], keys=keys)
    # Another call, in a different order and with another batch size: assignment is per key.
    order = np.random.default_rng(3).permutation(N_REQUESTS)[:120]
    second = serving.predict(ws, dep, served["requests"].iloc[order], keys=[keys[i] for i in order])
    assert set(first["arm"]) == {"champion", "challenger"}
    by_key = dict(zip(first["key"], first["arm"]))
    assert all(by_key[k] == a for k, a in zip(second["key"], second["arm"]))


def test_non_single_strategy_needs_a_challenger(served):
    ws = served["ws"]
    dep = serving.get_active_deployment(ws, served["pid"]) or _deploy(served, strategy="single")
    with pytest.raises(ConfigError, match="needs a challenger"):
        serving.create_deployment(ws, served["pid"], RoutingConfig("canary"), dep["champion_version_id"])


@pytest.mark.parametrize("share", [1.5, -0.2])
def test_a_bad_share_is_refused_before_it_becomes_the_live_deployment(served, share):
    """It was written first and refused only when read: the project's endpoint was locked for good."""
    ws = served["ws"]
    live = _deploy(served, strategy="single")
    with pytest.raises(ConfigError, match="challenger_share"):
        serving.create_deployment(
            ws, served["pid"], RoutingConfig("ab", share), live["champion_version_id"], served["challenger"]["id"]
        )
    assert serving.get_active_deployment(ws, served["pid"])["id"] == live["id"]


def test_every_prediction_is_logged(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="canary", challenger_share=0.5)
    assert _log_count(ws, dep["id"]) == 0
    serving.predict(ws, dep, served["requests"].head(30))
    assert _log_count(ws, dep["id"]) == 30
    out = serving.predict(ws, dep, served["requests"].head(7), keys=[f"k{i}" for i in range(7)])
    log = serving.get_prediction_log_df(ws, dep["id"], limit=10_000)
    assert len(log) == 37
    latest = log.head(7).iloc[::-1]  # newest first in the log
    assert latest["request_key"].tolist() == [f"k{i}" for i in range(7)]
    assert latest["arm"].tolist() == out["arm"].tolist()
    assert latest["prediction"].tolist() == out["prediction"].tolist()
    # The raw request is kept with each prediction.
    row = ws.query_one(
        "SELECT input_json FROM predictions WHERE deployment_id = ? ORDER BY id DESC LIMIT 1", (dep["id"],)
    )
    assert json.loads(row["input_json"])["cust_id"] == served["requests"]["cust_id"].iloc[6]


def test_each_answer_has_a_request_id_a_label_can_quote_later(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="single")
    rows = served["requests"].head(3)
    given = serving.predict(ws, dep, rows, request_ids=["a", "b", "c"], source="http")
    assert given["request_id"].tolist() == ["a", "b", "c"]
    fresh = serving.predict(ws, dep, rows)
    assert fresh["request_id"].nunique() == 3 and not set(fresh["request_id"]) & {"a", "b", "c"}
    with pytest.raises(DataError, match="Request id 'x' is given to more than one row"):
        serving.predict(ws, dep, rows, request_ids=["x", "y", "x"])
    assert serving.record_feedback(ws, served["pid"], "b", "yes") == 1
    logged = ws.query_one("SELECT label, source, labelled_at FROM predictions WHERE request_id = 'b'")
    assert (logged["label"], logged["source"]) == ("yes", "http") and logged["labelled_at"] > 0
    assert serving.record_feedback(ws, served["pid"], "b", "no") == 1  # a label sent again replaces the first
    assert ws.query_one("SELECT label FROM predictions WHERE request_id = 'b'")["label"] == "no"
    with pytest.raises(NotFoundError, match="No answer with request id 'zzz'"):
        serving.record_feedback(ws, served["pid"], "zzz", "yes")
    with pytest.raises(DataError, match="empty"):
        serving.record_feedback(ws, served["pid"], "a", " ")
    # A label the model could never have predicted would count silently as a wrong answer.
    with pytest.raises(DataError, match=r"must be one of the model's classes \('no', 'yes'\); got 'maybe'"):
        serving.record_feedback(ws, served["pid"], "a", "maybe")
    with pytest.raises(NotFoundError, match="No answer"):  # another project's answers are not this one's
        serving.record_feedback(ws, served["pid"] + 1, "a", "yes")


def test_predict_without_logging_leaves_the_log_alone(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="single")
    serving.predict(ws, dep, served["requests"].head(5), log=False)
    assert _log_count(ws, dep["id"]) == 0


def test_missing_required_column_is_a_data_error_naming_it(served):
    dep = _deploy(served, strategy="single")
    with pytest.raises(DataError, match="missing column\\(s\\) x2") as info:
        serving.predict(served["ws"], dep, served["requests"].drop(columns=["x2"]))
    assert "send these columns" in str(info.value)


def test_empty_request_is_a_data_error(served):
    dep = _deploy(served, strategy="single")
    with pytest.raises(DataError, match="no rows"):
        serving.predict(served["ws"], dep, served["requests"].iloc[:0])


def test_request_without_the_id_column_works(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="single")
    with_id = serving.predict(ws, dep, served["requests"].head(20), log=False)
    without_id = serving.predict(ws, dep, served["requests"].head(20).drop(columns=["cust_id"]), log=False)
    assert "cust_id" not in serving.load_served(ws, dep["champion_version_id"]).required_columns
    np.testing.assert_allclose(without_id["score"], with_id["score"])


def test_unseen_category_and_missing_values_do_not_crash(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="shadow")
    odd = served["requests"].head(4).copy()
    odd["color"] = ["purple", "  RED ", None, "green"]
    odd.loc[3, "x1"] = np.nan
    out = serving.predict(ws, dep, odd)
    assert len(out) == 4
    assert out["score"].notna().all() and out["score"].between(0, 1).all()
    assert set(out["prediction"]) <= {"yes", "no"}
    assert out["shadow_prediction"].notna().all()


def test_traffic_summary_shares_sum_to_one(served):
    ws = served["ws"]
    dep = _deploy(served, strategy="canary", challenger_share=0.3)
    serving.predict(ws, dep, served["requests"])
    summary = serving.get_traffic_summary_df(ws, dep["id"])
    assert set(summary["arm"]) == {"champion", "challenger"}
    assert summary["requests"].sum() == N_REQUESTS
    assert summary["share"].sum() == pytest.approx(1.0)
    assert (summary["mean_latency_ms"] > 0).all()
    assert summary.iloc[0]["arm"] == "champion"  # 70% of traffic: the largest row comes first


def test_traffic_summary_of_an_unused_deployment_is_empty(served):
    dep = _deploy(served, strategy="single")
    assert serving.get_traffic_summary_df(served["ws"], dep["id"]).empty


@pytest.mark.slow
def test_regression_endpoint_returns_numbers(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(5)
    n = 300
    x = rng.normal(size=n)
    kind = rng.choice(["a", "b"], n)
    df = pd.DataFrame({"x": x, "kind": kind, "price": 100 + 20 * x + 15 * (kind == "a") + rng.normal(size=n)})
    run_pipeline(
        ws, df, None, PipelineConfig(target="price", project_name="reg", cv_folds=2, windows=1, rows_per_window=50)
    )
    dep = serving.get_active_deployment(ws, 1)
    out = serving.predict(ws, dep, df.drop(columns=["price"]).head(50))
    values = out["prediction"].astype(float)
    # The answer keeps ten significant digits (rounding to four decimals would read a target in millionths as 0).
    np.testing.assert_allclose(values, out["score"], rtol=1e-9)
    assert np.corrcoef(values, df["price"].head(50))[0, 1] > 0.9
    # A regression's label is the true number; text or a decimal comma would make every readout NaN.
    first = out["request_id"].iloc[0]
    assert serving.record_feedback(ws, 1, first, "150.5") == 1
    assert ws.query_one("SELECT label FROM predictions WHERE request_id = ?", (first,))["label"] == "150.5"
    for label in ("abc", "150,5", True, float("inf"), "1e400"):
        with pytest.raises(DataError, match="must be a finite number"):
            serving.record_feedback(ws, 1, first, label)


def test_canary_routes_single_requests_to_both_arms(served):
    dep = _deploy(served, strategy="canary", challenger_share=0.5)
    arms = {
        serving.predict(served["ws"], dep, served["requests"].iloc[[i]], log=False)["arm"].iloc[0] for i in range(40)
    }
    assert arms == {"champion", "challenger"}


def test_endpoint_checks_requests_against_the_rules_learned_from_training(served):
    """Validation rules travel with the model: a request with an unseen category or an impossible
    value is reported (not refused), a clean one passes."""
    from core.deployment import serving as serving_module

    ws = served["ws"]
    dep = serving_module.get_active_deployment(ws, served["pid"]) or _deploy(served, strategy="single")
    model = serving_module.load_served(ws, dep["champion_version_id"])
    assert model.rules is not None
    clean = served["requests"].head(20)
    assert model.validate(clean) == []
    bad = clean.copy()
    column = next(c for c in model.required_columns if pd.api.types.is_numeric_dtype(bad[c]))
    bad.loc[bad.index[0], column] = 1e9
    violations = model.validate(bad)
    assert [v.column for v in violations] == [column]
    assert violations[0].rule == "above_max" and violations[0].rows == 1


# --- the natural order: Data (rules learned without a target), then Problem ---------------------


def _natural_table(n: int = 500, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(0, 72, n).round(1)
    plan = rng.choice(["basic", "plus", "pro"], n)
    active = rng.integers(0, 2, n)
    since = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    logit = -0.05 * tenure + 1.2 * (plan == "basic") + 0.8 * active + 0.5
    churn = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    return pd.DataFrame(
        {
            "cust_id": [f"C{i:05d}" for i in range(n)],
            "tenure": tenure,
            "plan": plan,
            "active": active,
            "since": since.strftime("%Y-%m-%d"),
            "churn": churn,
        }
    )


@pytest.fixture(scope="module")
def natural(tmp_path_factory):
    """Cleaned before the target was chosen (the app's natural order), so the cleaned version's
    rules name 'churn' as a required column; a random forest (32-bit features) is the champion and
    a logistic regression the challenger."""
    from core.data import datasets
    from core.pipeline import stage_clean, stage_features, stage_ingest, stage_problem, stage_train
    from core.training.config import TrainConfig
    from core.workspace import projects

    ws = Workspace(tmp_path_factory.mktemp("natural") / "ws")
    pid = projects.create_unique_project(ws, "natural order")["id"]
    raw = stage_ingest(ws, pid, _natural_table(), None, "natural.csv")
    dataset_id = stage_clean(ws, pid, raw["id"], None, target=None)["dataset"]["id"]
    assert datasets.load_rules(ws, dataset_id)["target"] is None  # learned with the target as an input
    stage_problem(ws, pid, dataset_id, "churn")
    fs = stage_features(ws, pid, dataset_id)
    trained = stage_train(ws, pid, fs["id"], TrainConfig(models=("random_forest", "logistic"), cv_folds=2))
    runs = tracking.get_runs_df(ws, pid, trained["experiment"]["id"]).set_index("key")["run"]
    stage_register(ws, pid, int(runs["random_forest"]), alias="champion", override_reason="test")
    stage_register(ws, pid, int(runs["logistic"]), alias="challenger", override_reason="test")
    dep = stage_deploy(ws, pid, RoutingConfig("single"))
    model = serving.load_served(ws, dep["champion_version_id"])
    examples = __import__("core.pipeline", fromlist=["x"]).get_request_examples(ws, model)
    return {"ws": ws, "pid": pid, "deployment": dep, "model": model, "examples": examples.head(3)}


def test_the_endpoint_never_asks_for_the_target_nor_columns_the_model_does_not_take(natural):
    model = natural["model"]
    assert set(model.required_columns) == {"tenure", "plan", "active", "since"}
    assert model.input_kinds == {"tenure": "numeric", "active": "numeric", "plan": "categorical", "since": "datetime"}
    assert {r.column for r in model.rules.columns} == set(model.required_columns)
    assert model.validate(natural["examples"]) == []  # was: "churn is missing: … send it with every row"


def test_monitoring_checks_only_the_models_inputs(natural):
    from core.monitoring.simulation import TrafficConfig
    from core.pipeline import stage_monitor

    out = stage_monitor(natural["ws"], natural["pid"], TrafficConfig(scenario="none", windows=2, rows_per_window=80))
    assert out["violations"].empty  # was: churn "missing" in every window


# --- probes: whatever a client sends, an answer or an error per row, never a traceback --------------

ERROR, SCORED, REQUEST = "error", "scored", "request"


def _cell(column, value, row=0):
    def change(rows):
        rows[row][column] = value
        return rows

    return change


def _row(values, row=0):
    def change(rows):
        rows[row] = dict(values)
        return rows

    return change


def _every_row(column, values):
    def change(rows):
        for row, value in zip(rows, values):
            row[column] = value
        return rows

    return change


def _all_rows_blank(rows):
    return [{k: None for k in row} for row in rows]


# (name, how the clean rows are changed, expected, column, problem): ERROR names the row problem of
# row 0 (the other rows are answered), SCORED the violation `validate` records (None: none at all),
# REQUEST the problem of the RequestError.
PROBES = [
    ("+inf", _cell("tenure", float("inf")), ERROR, "tenure", "not_finite"),
    ("-inf", _cell("tenure", float("-inf")), ERROR, "tenure", "not_finite"),
    ("text Infinity", _cell("tenure", "Infinity"), ERROR, "tenure", "not_finite"),
    ("text -Infinity", _cell("tenure", "-Infinity"), ERROR, "tenure", "not_finite"),
    ("text inf", _cell("tenure", " inf "), ERROR, "tenure", "not_finite"),
    ("text 1e400", _cell("tenure", "1e400"), ERROR, "tenure", "not_finite"),
    ("1e308", _cell("tenure", 1e308), ERROR, "tenure", "too_large"),
    ("-1e308", _cell("tenure", -1e308), ERROR, "tenure", "too_large"),
    ("int with 400 digits", _cell("tenure", 10**400), ERROR, "tenure", "not_finite"),
    ("list in a number", _cell("tenure", [1, 2]), ERROR, "tenure", "not_a_single_value"),
    ("dict in a number", _cell("tenure", {"a": 1}), ERROR, "tenure", "not_a_single_value"),
    ("list in a category", _cell("plan", ["basic"]), ERROR, "plan", "not_a_single_value"),
    ("dict in a category", _cell("plan", {"name": "basic"}), ERROR, "plan", "not_a_single_value"),
    ("list in a date", _cell("since", ["2021-01-01"]), ERROR, "since", "not_a_single_value"),
    ("empty list", _cell("active", []), ERROR, "active", "not_a_single_value"),
    ("None number", _cell("tenure", None), SCORED, "tenure", "too_many_missing"),
    ("NaN number", _cell("tenure", float("nan")), SCORED, "tenure", "too_many_missing"),
    ("blank number", _cell("tenure", ""), SCORED, "tenure", "too_many_missing"),
    ("None category", _cell("plan", None), SCORED, "plan", "too_many_missing"),
    ("empty category", _cell("plan", ""), SCORED, "plan", "too_many_missing"),
    ("spaces category", _cell("plan", "   "), SCORED, "plan", "too_many_missing"),
    ("blank date", _cell("since", ""), SCORED, "since", "too_many_missing"),
    ("row of None", _all_rows_blank, ERROR, None, "no_inputs"),
    ("one row of None", _row({"tenure": None, "plan": None, "active": None, "since": None}), ERROR, None, "no_inputs"),
    ("one row of blanks", _row({"tenure": "", "plan": " ", "active": "", "since": ""}), ERROR, None, "no_inputs"),
    ("row with only unknown columns", _row({"favourite_colour": "blue"}), ERROR, None, "no_inputs"),
    ("bool in a number", _cell("tenure", True), ERROR, "tenure", "not_a_number"),
    ("bool in a 0/1 flag", _cell("active", True), SCORED, None, None),
    ("text in a 0/1 flag", _cell("active", "yes"), ERROR, "active", "not_a_number"),
    ("number in a category", _cell("plan", 5), SCORED, "plan", "unknown_category"),
    ("float in a category", _cell("plan", 2.5), SCORED, "plan", "unknown_category"),
    ("bool in a category", _cell("plan", True), SCORED, "plan", "unknown_category"),
    ("huge string", _cell("plan", "x" * 1_000_000), SCORED, "plan", "unknown_category"),
    ("unicode", _cell("plan", "Straße 🏠 ñ 中文 \u202e"), SCORED, "plan", "unknown_category"),
    ("text in a number", _cell("tenure", "abc"), ERROR, "tenure", "not_a_number"),
    ("text NaN", _cell("tenure", "NaN"), ERROR, "tenure", "not_a_number"),
    ("decimal comma", _cell("tenure", "1,5"), ERROR, "tenure", "not_a_number"),
    ("5000 digits", _cell("tenure", "9" * 5000), ERROR, "tenure", ("not_a_number", "not_finite")),
    ("number as text", _cell("tenure", " 12.5 "), SCORED, None, None),
    ("huge finite number", _cell("tenure", 1e6), SCORED, "tenure", "above_max"),
    ("negative number", _cell("tenure", -5), SCORED, "tenure", "below_min"),
    ("a column of the wrong type", _every_row("tenure", ["abc", "def", "ghi"]), ERROR, "tenure", "not_a_number"),
    ("numbers for categories", _every_row("plan", [1, 2, 3]), SCORED, "plan", "unknown_category"),
    ("date in another format", _cell("since", "01/02/2021"), ERROR, "since", "not_a_date"),
    ("not a date", _cell("since", "not a date"), ERROR, "since", "not_a_date"),
    ("number in a date", _cell("since", 20210101), ERROR, "since", "not_a_date"),
    ("year 9999", _cell("since", "9999-12-31"), SCORED, "since", "above_max"),
    ("year 1", _cell("since", "0001-01-01"), SCORED, "since", "below_min"),
    ("year 99999", _cell("since", "99999-01-01"), ERROR, "since", "not_a_date"),
    ("date with an offset", _cell("since", "2021-06-01T10:00:00+05:00"), SCORED, None, None),
    ("extra column", _cell("favourite_colour", "blue"), SCORED, None, None),
    ("the target sent too", _cell("churn", "Maybe"), SCORED, None, None),
    ("an ID that is an object", _cell("cust_id", {"id": 1}), SCORED, None, None),
    ("bytes in a category", _cell("plan", b"basic"), SCORED, "plan", "unknown_category"),
]

# Requests that cannot be answered at all: a RequestError naming the problem.
REQUEST_PROBES = [
    ("zero rows", lambda rows: [], "no_rows"),
    ("an empty table", lambda rows: pd.DataFrame(rows).iloc[:0], "no_rows"),
    ("not a table: text", lambda rows: "tenure=5", "not_a_table"),
    ("not a table: a number", lambda rows: 42, "not_a_table"),
    ("not a table: None", lambda rows: None, "not_a_table"),
    ("not a table: an object", lambda rows: {"rows": rows}, "not_a_table"),
    ("a row that is not an object", lambda rows: rows + [5], "not_a_row"),
    (
        "duplicate column names",
        lambda rows: pd.concat([pd.DataFrame(rows), pd.DataFrame(rows)[["plan"]]], axis=1),
        "duplicate_column",
    ),
    ("only unknown columns", lambda rows: pd.DataFrame({"favourite_colour": ["blue", "red"]}), "missing_column"),
    ("a column missing", lambda rows: pd.DataFrame(rows).drop(columns=["tenure"]), "missing_column"),
]


def _json_rows(natural) -> list[dict]:
    return json.loads(natural["examples"].to_json(orient="records"))


def _assert_problems_are_structured(problems):
    for problem in problems:
        assert set(problem) == {"row", "column", "problem", "value", "message"}
        assert problem["problem"] in serving.ROW_PROBLEMS + serving.REQUEST_PROBLEMS
        assert 0 < len(problem["message"]) < 400
        assert problem["value"] is None or len(problem["value"]) <= 40


@pytest.mark.parametrize("form", ["json", "frame"])
@pytest.mark.parametrize("name, change, expected, column, problem", PROBES, ids=[p[0] for p in PROBES])
def test_probe_gets_an_answer_or_an_error_per_row(natural, form, name, change, expected, column, problem):
    model = natural["model"]
    assert model.validate(natural["examples"]) == []  # the clean rows break no rule
    rows = change(_json_rows(natural))
    request = rows if form == "json" else pd.DataFrame(rows)
    out = serving.predict(natural["ws"], natural["deployment"], request, log=False)
    assert len(out) == len(rows)
    answered = out["error"] == ""
    assert ((out["prediction"] != "") == answered).all() and (out["score"].notna() == answered).all()
    for problems in out["problems"]:
        _assert_problems_are_structured(problems)
    if expected == ERROR:
        found = {(p["column"], p["problem"]) for p in out.loc[0, "problems"]}
        codes = problem if isinstance(problem, tuple) else (problem,)
        assert any((column, code) in found for code in codes), out.loc[0, "error"]
        assert column is None or column in out.loc[0, "error"]
        untouched = [i for i in range(len(rows)) if rows[i] == _json_rows(natural)[i]]
        assert answered[untouched].all()  # the other rows are still scored
    else:
        assert answered.all(), out["error"].tolist()
        violations = {(v.column, v.rule) for v in model.validate(request)}
        assert (column, problem) in violations if column else violations == set()


@pytest.mark.parametrize("name, make, problem", REQUEST_PROBES, ids=[p[0] for p in REQUEST_PROBES])
def test_a_request_that_cannot_be_answered_is_a_request_error_naming_each_problem(natural, name, make, problem):
    request = make(_json_rows(natural))
    with pytest.raises(serving.RequestError) as info:
        serving.predict(natural["ws"], natural["deployment"], request, log=False)
    assert problem in {p.problem for p in info.value.problems}
    _assert_problems_are_structured([p.to_dict() for p in info.value.problems])
    assert all(p.message in str(info.value) or p.problem == "missing_column" for p in info.value.problems)
    if problem == "missing_column":  # validation reports what it can check of the rest
        assert ("tenure", "missing_column") in {(v.column, v.rule) for v in natural["model"].validate(request)}
    elif problem != "not_a_table":  # validation reads the request the same way
        with pytest.raises(serving.RequestError):
            natural["model"].validate(request)


def test_a_large_batch_stores_its_inputs_once_and_every_reader_reads_the_rows_as_sent(served):
    from core.deployment import prediction_log
    from core.deployment.rollouts.live import get_logged_df
    from core.stages.arms import stage_arms

    ws = served["ws"]
    dep = stage_deploy(ws, served["pid"], RoutingConfig("single"), validation_policy="review")
    try:
        big = served["requests"].head(prediction_log.STORED_ONCE_ROWS).assign(x2=50.0)  # out of range: for review
        small = served["requests"].head(prediction_log.STORED_ONCE_ROWS - 1)
        serving.predict(ws, dep, big)
        serving.predict(ws, dep, small)
        logged = ws.query("SELECT id, input_json FROM predictions WHERE deployment_id = ? ORDER BY id", (dep["id"],))
        assert [r["input_json"] is None for r in logged] == [True] * len(big) + [False] * len(small)
        stored = ws.query("SELECT rows, first_prediction_id, last_prediction_id FROM prediction_inputs")[-1]
        assert stored == {
            "rows": len(big),
            "first_prediction_id": logged[0]["id"],
            "last_prediction_id": logged[63]["id"],
        }
        expected = prediction_log.inputs_json(serving.read_request(big).reset_index(drop=True))
        expected += prediction_log.inputs_json(serving.read_request(small).reset_index(drop=True))
        # The rollouts' reader, the review queue and the arms' stage read the same rows.
        assert get_logged_df(ws, dep["id"])["input_json"].tolist() == expected
        queue = serving.get_review_queue_df(ws, dep["id"])
        assert queue["inputs"].tolist() == expected[: len(big)][::-1]
        assert json.loads(queue["inputs"].iloc[0])["x2"] == 50.0
        arms = stage_arms(ws, served["pid"], dep["id"])
        assert arms.log_rows == len(logged)
        x2 = arms.drift[arms.drift["feature"] == "x2"]
        assert len(x2) == 1 and bool(x2["drifted"].iloc[0])  # the stored rows' x2 = 50 were read back
    finally:
        stage_deploy(ws, served["pid"], RoutingConfig("single"), validation_policy="flag")


def _workload(ws, dep, requests: pd.DataFrame, run: str) -> None:
    """Small and large requests, as tables and JSON rows, with rows that break a rule (held for
    review), inputs that cannot be stored once (a column mixing numbers and text) and long text."""
    mixed = requests.assign(note=[i if i % 2 else f"n{i}" for i in range(len(requests))], cust_id="c" * 300)
    big = pd.concat([requests] * 6, ignore_index=True).assign(x2=lambda t: np.where(t.index % 7 == 0, 50.0, t["x2"]))
    calls = [
        requests.head(1),
        [{"x1": 0.5, "x2": 3.0, "color": "red"}],
        requests.head(5),
        requests.head(prediction_log.STORED_ONCE_ROWS),
        mixed,
        big,  # more than two statements of CHUNK_ROWS rows
        to_strict_json(requests.head(100).to_dict(orient="records")),
    ]
    for i, rows in enumerate(calls):
        n = len(rows)
        serving.predict(ws, dep, rows, request_ids=[f"{run}{i}-{j}" for j in range(n)], source="http", seed=i)


@pytest.mark.parametrize("routing", [RoutingConfig("shadow"), RoutingConfig("canary", 0.5)], ids=["shadow", "canary"])
def test_a_large_batch_written_column_by_column_logs_the_rows_a_row_by_row_insert_logs(served, monkeypatch, routing):
    """Every reader of the log reads the predictions table: the same workload, written the fast way
    (values the same in every row bound once) and row by row, leaves the same rows."""
    ws = served["ws"]
    tables = []
    for run in ("fast", "slow"):
        with monkeypatch.context() as patch:
            if run == "slow":
                patch.setattr(
                    log_writer.LogWriter,
                    "_insert_columns",
                    lambda self, conn, batch: self._insert_records(conn, batch.records()),
                )
            dep = stage_deploy(ws, served["pid"], routing, validation_policy="review")
            _workload(ws, dep, served["requests"], run)
            rows = ws.query("SELECT * FROM predictions WHERE deployment_id = ? ORDER BY id", (dep["id"],))
        table = pd.DataFrame(rows).drop(columns=["id", "deployment_id", "ts", "latency_ms"])
        table["request_id"] = table["request_id"].str.removeprefix(run)
        table["input_json"] = prediction_log.fill_input_json(ws, pd.DataFrame(rows))["input_json"].to_numpy()
        tables.append(table)
        assert rows[0]["id"] + len(rows) - 1 == rows[-1]["id"]
    stage_deploy(ws, served["pid"], RoutingConfig("single"), validation_policy="flag")
    fast, slow = tables
    assert len(fast) == 1 + 1 + 5 + prediction_log.STORED_ONCE_ROWS + N_REQUESTS + 6 * N_REQUESTS + 100
    pd.testing.assert_frame_equal(fast, slow)
    assert set(fast["status"]) == {"scored", "review"}
    assert fast["input_json"].str.contains('"_truncated":true').any()
    if routing.strategy == "shadow":
        assert fast["shadow_prediction"].notna().all() and set(fast["arm"]) == {"champion"}
    else:
        assert set(fast["arm"]) == {"champion", "challenger"}

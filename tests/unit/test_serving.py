"""The simulated endpoint: routing strategies, prediction logging, and what requests may look like."""
import json

import numpy as np
import pandas as pd
import pytest

from core import serving, tracking
from core.errors import ConfigError, DataError
from core.pipeline import PipelineConfig, run_pipeline, stage_deploy, stage_register
from core.routing import RoutingConfig
from core.workspace import Workspace

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
    summary = run_pipeline(ws, table, None, PipelineConfig(target="y", project_name="serve", cv_folds=3,
                                                           windows=2, rows_per_window=100))
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
    row = ws.query_one("SELECT input_json FROM predictions WHERE deployment_id = ? ORDER BY id DESC LIMIT 1",
                       (dep["id"],))
    assert json.loads(row["input_json"])["cust_id"] == served["requests"]["cust_id"].iloc[6]


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


def test_regression_endpoint_returns_numbers(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(5)
    n = 300
    x = rng.normal(size=n)
    kind = rng.choice(["a", "b"], n)
    df = pd.DataFrame({"x": x, "kind": kind, "price": 100 + 20 * x + 15 * (kind == "a") + rng.normal(size=n)})
    run_pipeline(ws, df, None, PipelineConfig(target="price", project_name="reg", cv_folds=2, windows=1,
                                              rows_per_window=50))
    dep = serving.get_active_deployment(ws, 1)
    out = serving.predict(ws, dep, df.drop(columns=["price"]).head(50))
    values = out["prediction"].astype(float)
    np.testing.assert_allclose(values, out["score"], atol=1e-3)
    assert np.corrcoef(values, df["price"].head(50))[0, 1] > 0.9


def test_canary_routes_single_requests_to_both_arms(served):
    dep = _deploy(served, strategy="canary", challenger_share=0.5)
    arms = {serving.predict(served["ws"], dep, served["requests"].iloc[[i]], log=False)["arm"].iloc[0]
            for i in range(40)}
    assert arms == {"champion", "challenger"}


def test_endpoint_checks_requests_against_the_rules_learned_from_training(served):
    """Validation rules travel with the model: a request with an unseen category or an impossible
    value is reported (not refused), a clean one passes."""
    from core import serving as serving_module

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

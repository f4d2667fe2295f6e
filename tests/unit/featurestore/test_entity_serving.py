"""Serving by entity id, end to end: a project trained with a catalog feature is deployed; a request row
carrying only the customer id and the request-time fields gets the feature from the online store; an
unknown customer gets a per-row problem, not a 500; the simulator's traffic keeps the values in step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from core.data.datasets import save_dataset
from core.deployment import serving
from core.deployment.endpoint import create_app
from core.deployment.endpoint.entity_features import UNKNOWN_ENTITY, fill_rows, score_by_entity
from core.featurestore import catalog, online, project_features, skew
from core.featurestore.definitions import Expression, FeatureDefinition
from core.pipeline import PipelineConfig, run_pipeline
from core.workspace.database import Workspace
from core.workspace.projects import create_project
from tests.unit.deployment.endpoint.conftest import api_key_headers

pytestmark = pytest.mark.slow  # a whole pipeline run


def _client(ws: Workspace, pid: int) -> TestClient:
    """A client of the project's endpoint carrying a new API key (the endpoint answers /predict only with one)."""
    return TestClient(create_app(ws.root, pid), raise_server_exceptions=False, headers=api_key_headers(ws, pid))


def _tables(n: int = 400, customers: int = 40, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Account events (chargebacks at random moments) and transactions whose fraud follows them."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    events = pd.DataFrame(
        {
            "customer_id": rng.integers(1, customers + 1, 300),
            "timestamp": start + pd.to_timedelta(rng.integers(0, 180 * 24, 300), unit="h"),
            "kind": rng.choice(["chargeback", "call", "login"], 300, p=[0.3, 0.35, 0.35]),
        }
    )
    transactions = pd.DataFrame(
        {
            "customer_id": rng.integers(1, customers + 1, n),
            "timestamp": start + pd.to_timedelta(rng.integers(24 * 30, 180 * 24, n), unit="h"),
            "amount": rng.gamma(2.0, 30.0, n).round(2),
        }
    )
    chargebacks = [
        int(((events["customer_id"] == c) & (events["kind"] == "chargeback") & (events["timestamp"] < t)).sum())
        for c, t in zip(transactions["customer_id"], transactions["timestamp"])
    ]
    noise = rng.random(n)
    transactions["is_fraud"] = np.where(np.array(chargebacks) * 0.25 + noise > 0.9, "yes", "no")
    return events, transactions


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("entity") / "ws")
    events, transactions = _tables()
    accounts = create_project(ws, "accounts")
    source = save_dataset(ws, accounts["id"], events, kind="raw", name="events.csv")
    catalog.register_definition(
        ws,
        FeatureDefinition(
            name="chargebacks",
            entity="customer_id",
            timestamp="timestamp",
            expression=Expression("equals", ("kind",), value="chargeback"),
            aggregate="sum",
            owner="risk",
            description="Chargebacks before the moment.",
            source_dataset_id=source["id"],
        ),
    )
    shop = create_project(ws, "shop")
    project_features.add_to_project(ws, shop["id"], "chargebacks")
    config = PipelineConfig(target="is_fraud", project_name="shop", cv_folds=2, windows=2, rows_per_window=50)
    run_pipeline(ws, transactions, None, config, source_name="transactions.csv", project_id=shop["id"])
    online.materialise(ws, "chargebacks")
    deployment = serving.get_active_deployment(ws, shop["id"])
    return ws, shop["id"], deployment, events


def test_the_model_trained_on_the_catalog_feature(served) -> None:
    ws, _pid, deployment, _events = served
    model = serving.load_served(ws, deployment["champion_version_id"])
    assert "chargebacks" in model.required_columns


def test_a_request_with_only_the_entity_id_is_scored_with_online_features(served) -> None:
    ws, pid, deployment, events = served
    client = _client(ws, pid)
    known = int(events["customer_id"].iloc[0])
    expected = online.online_features(ws, ["chargebacks"], [known])["chargebacks"].iloc[0]
    row = {"customer_id": known, "timestamp": "2024-07-15T10:00:00", "amount": 42.0}
    by_id = client.post("/predict", json={"rows": [row, {**row, "customer_id": f"{known}.0"}]})
    assert by_id.status_code == 200, by_id.text
    first, second = by_id.json()["results"]
    assert first["status"] in ("scored", "flagged") and first["score"] is not None
    assert second["score"] == first["score"]  # 1 and "1.0" are one customer
    explicit = client.post("/predict", json={"rows": [{**row, "chargebacks": expected}]})
    assert explicit.json()["results"][0]["score"] == first["score"]  # the same as sending the value itself


def test_an_unknown_entity_gets_a_per_row_problem_not_a_500(served) -> None:
    ws, pid, _deployment, _events = served
    client = _client(ws, pid)
    rows = [
        {"customer_id": 99999, "timestamp": "2024-07-15T10:00:00", "amount": 42.0},
        {"customer_id": 1, "timestamp": "2024-07-15T10:00:00", "amount": 42.0},
    ]
    answer = client.post("/predict", json={"rows": rows})
    assert answer.status_code == 200, answer.text
    unknown, known = answer.json()["results"]
    assert unknown["status"] == "error" and unknown["prediction"] is None and unknown["score"] is None
    assert unknown["problems"][0]["problem"] == UNKNOWN_ENTITY and "99999" in unknown["problems"][0]["message"]
    assert known["score"] is not None


def test_a_hostile_entity_value_is_answered_not_a_500(served) -> None:
    ws, pid, _deployment, _events = served
    client = _client(ws, pid)
    for entity in ({"a": 1}, [1, 2], "x" * 5000, 10**30, True):
        row = {"customer_id": entity, "timestamp": "2024-07-15T10:00:00", "amount": 42.0}
        answer = client.post("/predict", json={"rows": [row]})
        assert answer.status_code in (200, 422), answer.text
        if answer.status_code == 200:
            assert answer.json()["results"][0]["problems"][0]["problem"] == UNKNOWN_ENTITY


def test_score_by_entity_answers_as_the_endpoint_does(served) -> None:
    ws, pid, _deployment, _events = served
    rows = [
        {"customer_id": 1, "timestamp": "2024-07-15T10:00:00", "amount": 42.0},
        {"customer_id": "nobody", "timestamp": "2024-07-15T10:00:00", "amount": 42.0},
    ]
    answers = score_by_entity(ws, pid, rows)
    assert answers["status"].tolist()[1] == "error" and np.isfinite(answers["score"].iloc[0])
    assert answers["problems"].iloc[1][0]["problem"] == UNKNOWN_ENTITY


def test_fill_rows_leaves_rows_that_carry_the_feature_or_no_entity(served) -> None:
    ws, pid, _deployment, _events = served
    rows = [{"customer_id": 1, "chargebacks": 7}, {"amount": 1.0}, "not a row"]
    filled, unknown = fill_rows(ws, pid, rows)
    assert filled == rows and unknown == {}


def test_entity_serving_still_works_after_the_feature_left_the_project(served) -> None:
    """Going back: the feature is removed from the project after the model trained on it was deployed."""
    ws, pid, _deployment, _events = served
    project_features.remove_from_project(ws, pid, "chargebacks")
    try:
        row = {"customer_id": 1, "timestamp": "2024-07-15T10:00:00", "amount": 42.0}
        answers = score_by_entity(ws, pid, [row])
        assert answers["status"].iloc[0] in ("scored", "flagged") and np.isfinite(answers["score"].iloc[0])
    finally:
        project_features.add_to_project(ws, pid, "chargebacks")


def test_simulated_traffic_keeps_online_values_in_step(served) -> None:
    ws, pid, deployment, _events = served
    before = online.online_features(ws, ["chargebacks"], [5])["chargebacks"].iloc[0]
    row = {"customer_id": 5, "kind": "chargeback", "timestamp": "2024-07-15T10:00:00", "amount": 3.0}
    rows = [{**row, "chargebacks": before}]  # the simulator's rows carry the features, as the holdout does
    serving.predict(ws, deployment, rows, source="simulator", log=False)
    after = online.online_features(ws, ["chargebacks"], [5])["chargebacks"].iloc[0]
    assert after == before + 1
    assert skew.skew_check(ws, "chargebacks", sample=50)["consistent"]

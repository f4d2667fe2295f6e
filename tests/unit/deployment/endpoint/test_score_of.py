"""Which class a score is the probability of: each answer says (score_of), /health and the API docs
say it per answering version; a regression has none."""

import pytest
from fastapi.testclient import TestClient

from core.deployment import serving
from core.deployment.endpoint import create_app
from core.deployment.routing import RoutingConfig
from core.pipeline import stage_deploy
from tests.unit.deployment.endpoint.conftest import api_key_headers

GOOD = {"x1": 0.5, "x2": 3.0, "color": "red"}


@pytest.fixture
def client(trained):
    ws, pid, _ = trained
    stage_deploy(ws, pid, RoutingConfig("single"))
    return TestClient(create_app(ws.root, pid), raise_server_exceptions=False, headers=api_key_headers(ws, pid))


def test_a_yes_no_answer_names_its_positive_class_everywhere(client, trained):
    ws, pid, _ = trained
    served = serving.load_served(ws, serving.get_active_deployment(ws, pid)["champion_version_id"])
    positive = served.classes[1]
    results = client.post("/predict", json={"rows": [GOOD, {"x1": "1", "x2": 1.0, "color": "red"}]}).json()["results"]
    assert [r["score_of"] for r in results] == [positive, positive]
    unreadable = client.post("/predict", json={"rows": [{"x1": 1e308, "x2": 1e308, "color": "red"}]}).json()
    assert all(r["score"] is None and r["score_of"] is None for r in unreadable["results"])
    health = client.get("/health").json()
    assert health["positive_class"] == positive
    assert health["scores"] == [
        {
            "version": served.label,
            "task": "binary",
            "positive_class": positive,
            "score": f"the probability of class '{positive}' (score_of names it)",
        }
    ]
    assert "status" in health and "columns" in health  # the keys that were there stay
    spec = client.get("/openapi.json").json()
    assert f"for {served.label}, the probability of class '{positive}'" in spec["info"]["description"]
    assert "score_of" in spec["components"]["schemas"]["PredictResult"]["properties"]
    assert f"the probability of class &#x27;{positive}&#x27;" in client.get("/docs").text
    answers = serving.predict(ws, serving.get_active_deployment(ws, pid), [GOOD], log=False)
    assert list(answers["score_of"]) == [positive]


def test_a_multi_class_score_is_of_the_predicted_class_and_a_regression_has_none():
    class Model:
        def __init__(self, task, classes):
            self.task, self.classes = task, classes

    import numpy as np

    predictions = np.array(["a", "c", ""], dtype=object)
    assert list(serving.score_class(Model("multiclass", ["a", "b", "c"]), predictions)) == ["a", "c", ""]
    assert list(serving.score_class(Model("regression", []), predictions)) == [None, None, None]
    assert list(serving.score_class(Model("binary", ["no", "yes"]), predictions)) == ["yes"] * 3
    assert serving.positive_class(Model("multiclass", ["a", "b"])) is None

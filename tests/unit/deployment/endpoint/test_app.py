"""The HTTP endpoint's routes through FastAPI's TestClient: answers, the 422s of hostile bodies, the
feedback round trip, the OpenAPI schema, and the live deployment switch."""

import json

import pytest
from fastapi.testclient import TestClient

from core.deployment import serving
from core.deployment.endpoint import create_app
from core.deployment.endpoint.body import MAX_BODY_BYTES, MAX_ROWS
from core.deployment.routing import RoutingConfig
from core.pipeline import stage_deploy
from core.workspace.errors import NotFoundError
from tests.unit.deployment.endpoint.conftest import api_key_headers

GOOD = {"x1": 0.5, "x2": 3.0, "color": "red"}


@pytest.fixture
def client(trained):
    ws, pid, _ = trained
    stage_deploy(ws, pid, RoutingConfig("single"))
    return TestClient(create_app(ws.root, pid), raise_server_exceptions=False, headers=api_key_headers(ws, pid))


def _post(client, body) -> object:
    return client.post("/predict", content=body if isinstance(body, (bytes, str)) else json.dumps(body))


def test_health_names_the_project_deployment_and_versions(client, trained):
    ws, pid, _ = trained
    answer = client.get("/health")
    assert answer.status_code == 200
    health = answer.json()
    live = serving.get_active_deployment(ws, pid)
    assert health["status"] == "ready"
    assert health["project"] == "serve" and health["deployment_id"] == live["id"]
    assert health["versions"] == [serving.get_serving_version(ws, live)["model_name"] + " v1"]
    assert health["columns"] == ["x1", "x2", "color"]


def test_health_is_503_with_a_reason_when_nothing_is_deployed(trained, tmp_path):
    from core.workspace.database import Workspace
    from core.workspace.projects import create_project

    ws = Workspace(tmp_path / "empty")
    project = create_project(ws, "nothing")
    answer = TestClient(create_app(ws.root, project["id"])).get("/health")
    assert answer.status_code == 503
    assert "Nothing is deployed" in answer.json()["detail"]
    client = TestClient(create_app(ws.root, project["id"]), headers=api_key_headers(ws, project["id"]))
    assert client.post("/predict", json={"rows": [GOOD]}).status_code == 503


def test_an_unknown_project_is_refused_when_the_app_is_made(trained):
    ws, _, _ = trained
    with pytest.raises(NotFoundError):
        create_app(ws.root, 999)


def test_predict_answers_each_row_echoes_ids_and_names_ignored_columns(client, trained):
    ws, pid, _ = trained
    rows = [dict(GOOD, note="hello"), {"x1": -1.0, "x2": 9.0, "color": "blue", "other": [1, 2]}]
    answer = client.post("/predict", json={"rows": rows, "request_ids": ["r-1", "r-2"], "user_ids": ["u1", "u2"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ignored_columns"] == ["note", "other"]
    assert body["deployment_id"] == serving.get_active_deployment(ws, pid)["id"]
    assert [r["request_id"] for r in body["results"]] == ["r-1", "r-2"]
    for result in body["results"]:
        assert result["prediction"] in ("yes", "no")
        assert 0 <= result["score"] <= 1
        assert result["arm"] == "champion" and result["version"].endswith("v1")
        assert result["status"] == "scored" and result["problems"] == []
    # The same scores as the in-process path: one scoring implementation.
    served = serving.load_served(ws, serving.get_active_deployment(ws, pid)["champion_version_id"])
    _, scores = served.score([{k: r[k] for k in ("x1", "x2", "color")} for r in rows])
    assert [r["score"] for r in body["results"]] == pytest.approx(list(scores))
    logged = ws.query("SELECT request_id, source FROM predictions WHERE request_id IN ('r-1', 'r-2')")
    assert sorted((r["request_id"], r["source"]) for r in logged) == [("r-1", "http"), ("r-2", "http")]


def test_rule_breaking_rows_of_the_right_type_are_answered_not_refused(client):
    # Out of the learned range, a category never seen, a missing value: valid JSON of the right type.
    rows = [{"x1": 1e6, "x2": 3.0, "color": "purple"}, {"x1": None, "x2": " 4.5 ", "color": None}]
    answer = client.post("/predict", json={"rows": rows})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["results"]) == 2


def test_a_row_the_model_cannot_compute_with_gets_an_error_status_not_a_422(client):
    answer = client.post("/predict", json={"rows": [{"x1": 1e308, "x2": 1e308, "color": "red"}, GOOD]})
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["results"]
    assert first["status"] in ("error", "rejected") and first["prediction"] is None and first["score"] is None
    assert first["problems"] and first["problems"][0]["column"] in ("x1", "x2")
    assert second["status"] == "scored"


def _rows(*rows):
    return json.dumps({"rows": list(rows)})


# (name, body, expected 422 locations (a prefix each), the error type of the first)
HOSTILE = [
    ("nan literal", '{"rows": [{"x1": NaN, "x2": 1, "color": "red"}]}', [["body", "rows", 0, "x1"]], "not_finite"),
    (
        "infinity literal",
        '{"rows": [{"x1": 1, "x2": Infinity, "color": "red"}]}',
        [["body", "rows", 0, "x2"]],
        "not_finite",
    ),
    (
        "-infinity literal",
        '{"rows": [{"x1": -Infinity, "x2": 1, "color": "red"}]}',
        [["body", "rows", 0, "x1"]],
        "not_finite",
    ),
    (
        "overflowing number",
        '{"rows": [{"x1": 1e400, "x2": 1, "color": "red"}]}',
        [["body", "rows", 0, "x1"]],
        "not_finite",
    ),
    (
        "huge integer",
        '{"rows": [{"x1": 1' + "0" * 400 + ', "x2": 1, "color": "red"}]}',
        [["body", "rows", 0, "x1"]],
        "too_large",
    ),
    ("nan in a category", '{"rows": [{"x1": 1, "x2": 1, "color": NaN}]}', [["body", "rows", 0, "color"]], "not_finite"),
    (
        "nan in an ignored column",
        '{"rows": [{"x1": 1, "x2": 1, "color": "red", "z": NaN}]}',
        [["body", "rows", 0, "z"]],
        "not_finite",
    ),
    ("text in a number", _rows(dict(GOOD), dict(GOOD, x2="abc")), [["body", "rows", 1, "x2"]], "not_a_number"),
    ("nan as text", _rows(dict(GOOD, x1="nan")), [["body", "rows", 0, "x1"]], "not_a_number"),
    ("infinity as text", _rows(dict(GOOD, x1="-Infinity")), [["body", "rows", 0, "x1"]], "not_finite"),
    ("true in a number", _rows(dict(GOOD, x1=True)), [["body", "rows", 0, "x1"]], "not_a_number"),
    ("a list in a cell", _rows(dict(GOOD, color=["red"])), [["body", "rows", 0, "color"]], "not_a_single_value"),
    ("an object in a cell", _rows(dict(GOOD, x1={"v": 1})), [["body", "rows", 0, "x1"]], "not_a_single_value"),
    ("a missing column", _rows(GOOD, {"x1": 1, "color": "red"}), [["body", "rows", 1, "x2"]], "missing"),
    ("a row that is a number", _rows(GOOD, 5), [["body", "rows", 1]], "model_type"),
    ("a row that is a list", _rows([1, 2, 3]), [["body", "rows", 0]], "model_type"),
    ("no rows", '{"rows": []}', [["body", "rows"]], "too_short"),
    ("rows missing", '{"data": []}', [["body", "rows"]], "missing"),
    ("rows not a list", '{"rows": {"x1": 1}}', [["body", "rows"]], "list_type"),
    ("body a list", "[1, 2]", [["body"]], "model_attributes_type"),
    ("body a string", '"rows"', [["body"]], "model_attributes_type"),
    ("body null", "null", [["body"]], "model_attributes_type"),
    ("malformed json", '{"rows": [', [["body"]], "json_invalid"),
    ("trailing garbage", '{"rows": []} x', [["body"]], "json_invalid"),
    ("not utf-8", b'{"rows": ["\xff"]}', [["body"]], "json_invalid"),
    ("empty body", "", [["body"]], "missing"),
    ("too deep", "[" * 100_000 + "]" * 100_000, [["body"]], "json_invalid"),
    (
        "request ids too few",
        json.dumps({"rows": [GOOD, GOOD], "request_ids": ["a"]}),
        [["body", "request_ids"]],
        "length_mismatch",
    ),
    ("user ids not a list", json.dumps({"rows": [GOOD], "user_ids": "u1"}), [["body", "user_ids"]], "list_type"),
    (
        "request id an object",
        json.dumps({"rows": [GOOD], "request_ids": [{"a": 1}]}),
        [["body", "request_ids", 0]],
        "string_type",
    ),
    (
        "request id empty",
        json.dumps({"rows": [GOOD], "request_ids": [""]}),
        [["body", "request_ids", 0]],
        "string_too_short",
    ),
    (
        "too many rows",
        json.dumps({"rows": [{"x1": 1, "x2": 2, "color": "r"}] * (MAX_ROWS + 1)}),
        [["body", "rows"]],
        "too_long",
    ),
    ("too many bytes", json.dumps({"rows": [dict(GOOD, pad="x" * (MAX_BODY_BYTES + 1))]}), [["body"]], "too_large"),
]


@pytest.mark.parametrize("name, body, locations, kind", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bodies_get_422_naming_the_field(client, name, body, locations, kind):
    answer = _post(client, body)
    assert answer.status_code == 422, f"{name}: {answer.status_code} {answer.text[:300]}"
    detail = answer.json()["detail"]
    assert isinstance(detail, list) and detail
    for entry in detail:
        assert set(entry) <= {"loc", "msg", "type", "input"} and entry["msg"]
    assert detail[0]["type"] == kind
    for location in locations:
        assert any(entry["loc"][: len(location)] == location for entry in detail), detail


def test_every_bad_field_of_a_request_is_named_at_once(client):
    body = _rows(dict(GOOD, x1="abc"), 7, {"x1": 1, "color": "red"})
    detail = _post(client, body).json()["detail"]
    assert [entry["loc"] for entry in detail] == [
        ["body", "rows", 0, "x1"],
        ["body", "rows", 1],
        ["body", "rows", 2, "x2"],
    ]
    assert detail[0]["msg"] == "x1 must be a number; got 'abc' instead."


def test_a_declared_length_over_the_limit_is_refused_before_reading(client):
    answer = client.post("/predict", content=b"{}", headers={"Content-Length": str(MAX_BODY_BYTES + 1)})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "too_large"


def test_a_streamed_body_over_the_limit_is_refused_without_a_length(client):
    def chunks():
        yield b'{"rows": [{"pad": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}]}'

    answer = client.post("/predict", content=chunks())
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "too_large"


def test_no_hostile_input_gets_a_500(client):
    bodies = [h[1] for h in HOSTILE] + [
        '{"rows": [{"x1": "1e999", "x2": "", "color": ""}]}',
        '{"rows": [{"x1": 1, "x2": 2, "color": "' + "é" * 5000 + '"}]}',
        '{"rows": [{"x1": 1, "x2": 2, "color": 12345678901234567890123}]}',
        '{"rows": [{"x1": -0.0, "x2": 1e-320, "color": true}]}',
        '{"rows": [{"x1": null, "x2": null, "color": null}]}',
        '{"rows": [{"x1": 1, "x1": 2, "x2": 3, "color": "red"}]}',
        '{"rows": [{"": 1, "x1": 1, "x2": 3, "color": "red"}]}',
        '{"rows": [{"x1": 1, "x2": 3, "color": "red"}], "request_ids": null, "user_ids": [1]}',
        '{"rows": [{"x1": 1, "x2": 3, "color": "red"}], "request_ids": [1.5]}',
        "\ufeff{}",
    ]
    for body in bodies:
        answer = _post(client, body)
        assert answer.status_code in (200, 422), f"{body[:80]!r}: {answer.status_code} {answer.text[:300]}"
        assert answer.headers["content-type"].startswith("application/json")
    assert client.get("/predict").status_code == 405
    assert client.post("/feedback", content="[").status_code == 422


def test_feedback_labels_a_logged_answer_and_refuses_unknown_ids_and_empty_labels(client, trained):
    ws, _, _ = trained
    answer = client.post("/predict", json={"rows": [GOOD], "request_ids": ["fb-1"]})
    assert answer.status_code == 200
    done = client.post("/feedback", json={"request_id": "fb-1", "label": "yes"})
    assert done.status_code == 200 and done.json() == {"request_id": "fb-1", "labelled": 1}
    row = ws.query_one("SELECT label, labelled_at FROM predictions WHERE request_id = 'fb-1'")
    assert row["label"] == "yes" and row["labelled_at"] is not None
    unknown = client.post("/feedback", json={"request_id": "never-sent", "label": "yes"})
    assert unknown.status_code == 404
    assert "never-sent" in unknown.json()["detail"]
    for label in ("", "   ", None, [1]):
        bad = client.post("/feedback", json={"request_id": "fb-1", "label": label})
        assert bad.status_code == 422, label
        assert bad.json()["detail"][0]["loc"] == ["body", "label"]
    for label in ("maybe", 2, True):  # not one of the model's classes: it would count as a wrong answer
        bad = client.post("/feedback", json={"request_id": "fb-1", "label": label})
        assert bad.status_code == 422, label
        assert bad.json()["detail"][0]["loc"] == ["body", "label"] and "classes" in bad.json()["detail"][0]["msg"]
    assert ws.query_one("SELECT label FROM predictions WHERE request_id = 'fb-1'")["label"] == "yes"
    nan = client.post("/feedback", content='{"request_id": "fb-1", "label": NaN}')
    assert nan.status_code == 422 and nan.json()["detail"][0]["loc"] == ["body", "label"]
    missing = client.post("/feedback", json={"label": "yes"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "request_id"]


def test_a_request_id_given_to_two_rows_is_refused_naming_the_second(client):
    answer = client.post("/predict", json={"rows": [GOOD, GOOD, GOOD], "request_ids": ["d-1", "d-2", "d-1"]})
    assert answer.status_code == 422
    assert [d["loc"] for d in answer.json()["detail"]] == [["body", "request_ids", 2]]
    assert "'d-1' is given to more than one row" in answer.json()["detail"][0]["msg"]


def test_openapi_describes_the_models_columns_types_categories_and_ranges(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    row = schemas["Row"]
    assert row["required"] == ["x1", "x2", "color"]
    assert row["properties"]["color"]["x-categories"] == ["blue", "green", "red"]
    assert "'blue', 'green', 'red'" in row["properties"]["color"]["description"]
    assert {"type": "number"} in row["properties"]["x1"]["anyOf"]
    low, high = row["properties"]["x2"]["x-learned-range"]
    assert 0 <= low < high <= 11
    body = spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PredictRequest"}
    assert "FeedbackRequest" in schemas
    # /docs draws the same schema without the internet (Swagger UI, from a CDN, stays at /swagger).
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "<script" not in docs.text and "http" not in docs.text.replace("/openapi.json", "")
    assert "<code>color</code>" in docs.text and "one of blue, green, red" in docs.text
    assert f"from {low:g} to {high:g}" in docs.text and "POST</span> <code>/predict</code>" in docs.text
    assert "swagger" in client.get("/swagger").text.lower()
    # The documented example is a valid request.
    example = schemas["PredictRequest"]["examples"][0]
    assert client.post("/predict", json=example).status_code == 200


def test_a_switch_of_the_live_deployment_takes_effect_on_the_next_request(client, trained):
    ws, pid, challenger = trained
    first = client.post("/predict", json={"rows": [GOOD]}).json()["results"][0]
    assert first["arm"] == "champion"
    green = stage_deploy(ws, pid, RoutingConfig("blue_green", active_color="green"))
    answer = client.post("/predict", json={"rows": [GOOD]}).json()
    assert answer["deployment_id"] == green["id"]
    assert answer["results"][0]["arm"] == "challenger"
    assert answer["results"][0]["version"] == f"{challenger['model_name']} v{challenger['version']}"
    assert client.get("/health").json()["deployment_id"] == green["id"]
    stage_deploy(ws, pid, RoutingConfig("single"))
    assert client.post("/predict", json={"rows": [GOOD]}).json()["results"][0]["arm"] == "champion"


def test_an_ab_user_keeps_their_arm_across_requests(client, trained):
    ws, pid, _ = trained
    stage_deploy(ws, pid, RoutingConfig("ab", challenger_share=0.5))
    users = [f"user-{i}" for i in range(20)]
    arms = [client.post("/predict", json={"rows": [GOOD] * 20, "user_ids": users}).json()["results"] for _ in range(2)]
    first, second = ([r["arm"] for r in answer] for answer in arms)
    assert first == second and set(first) == {"champion", "challenger"}


def test_a_model_that_cannot_be_loaded_is_a_503_not_a_500(client, trained, monkeypatch):
    from core.workspace.errors import IntegrityError

    def broken(*args, **kwargs):
        raise IntegrityError("The model artifact fails its hash check; register the model again.")

    monkeypatch.setattr(serving, "predict", broken)
    answer = client.post("/predict", json={"rows": [GOOD]})
    assert answer.status_code == 503 and "hash check" in answer.json()["detail"]


def test_an_unexpected_failure_is_a_logged_json_500(client, monkeypatch, caplog):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(serving, "predict", bug)
    answer = client.post("/predict", json={"rows": [GOOD]})
    assert answer.status_code == 500
    assert answer.json() == {
        "detail": "Unexpected ZeroDivisionError while answering; the endpoint log has the details."
    }
    assert any("unexpected error answering POST /predict" in r.message for r in caplog.records)


def test_the_server_warms_up_the_live_models_and_sets_the_collector_aside(trained, tmp_path):
    import gc
    import sys

    from core.deployment.endpoint.server import SWITCH_INTERVAL_S, warm_up
    from core.workspace.database import Workspace
    from core.workspace.projects import create_project

    ws, pid, _ = trained
    switch = sys.getswitchinterval()
    try:
        app = create_app(ws.root, pid)
        warm_up(app)
        assert app.state.live._schemas  # the live versions' schema is built before any request
        assert gc.get_freeze_count() > 0 and sys.getswitchinterval() == SWITCH_INTERVAL_S
        empty = Workspace(tmp_path / "empty")
        warm_up(create_app(empty.root, create_project(empty, "nothing")["id"]))  # no error: nothing to load yet
    finally:
        gc.unfreeze()
        sys.setswitchinterval(switch)

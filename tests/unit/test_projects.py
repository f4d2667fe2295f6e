"""Projects: creating, naming, finding, and the per-stage status shown on the pipeline diagram."""
import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError, NotFoundError
from core.projects import (
    STAGES,
    create_project,
    create_unique_project,
    get_project,
    get_stage_status,
    list_projects,
    validate_project_name,
)


def test_create_then_get_by_id_and_by_name(ws):
    created = create_project(ws, "Churn study", source="telco.csv")
    assert created["name"] == "Churn study"
    assert created["source"] == "telco.csv"
    by_id = get_project(ws, created["id"])
    by_name = get_project(ws, "Churn study")
    assert by_id["id"] == by_name["id"] == created["id"]
    with pytest.raises(NotFoundError):  # text is always a name: "1" is not project 1
        get_project(ws, str(created["id"]))


def test_name_is_stripped(ws):
    assert create_project(ws, "  Padded  ")["name"] == "Padded"


def test_list_projects_newest_first(ws):
    for name in ("first", "second", "third"):
        create_project(ws, name)
    assert [p["name"] for p in list_projects(ws)] == ["third", "second", "first"]


def test_duplicate_name_is_a_config_error_naming_it(ws):
    create_project(ws, "Fraud")
    with pytest.raises(ConfigError, match="'Fraud' already exists"):
        create_project(ws, "Fraud")
    assert len(list_projects(ws)) == 1


@pytest.mark.parametrize("bad", ["", "   ", "a/b", "x" * 61, "<script>", "semi;colon", None])
def test_invalid_names_are_refused_with_the_rule(ws, bad):
    with pytest.raises(ConfigError, match="1 to 60 letters"):
        create_project(ws, bad)
    assert list_projects(ws) == []


def test_allowed_name_characters():
    assert validate_project_name("Q3 churn-model_v2.1 (draft)") == "Q3 churn-model_v2.1 (draft)"


def test_unknown_project_is_not_found(ws):
    with pytest.raises(NotFoundError, match="'nope' does not exist"):
        get_project(ws, "nope")
    with pytest.raises(NotFoundError):
        get_project(ws, 999)


def test_all_digit_project_name_can_be_created_and_found(ws):
    create_project(ws, "alpha")  # id 1
    made = create_project(ws, "1")  # a name the regex allows
    assert made["name"] == "1"
    assert get_project(ws, "1")["name"] == "1"


def test_unique_project_name_stays_a_valid_name(ws):
    base = "b" * 60
    create_project(ws, base)
    candidate = create_unique_project(ws, base)["name"]
    assert candidate == "b" * 56 + " (2)"
    validate_project_name(candidate)


def _tiny_table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    color = rng.choice(["red", "blue"], n)
    y = np.where(x + (color == "red") + rng.normal(scale=0.5, size=n) > 0.5, "yes", "no")
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "color": color, "y": y})


def test_stage_status_flips_as_each_stage_runs(ws):
    from core import pipeline
    from core.routing import RoutingConfig
    from core.simulation import TrafficConfig
    from core.training import TrainConfig

    pid = create_project(ws, "stages")["id"]
    status = get_stage_status(ws, pid)
    assert set(status) == set(STAGES)
    assert not any(status.values())

    done: set[str] = set()

    def expect(new: str | None) -> None:
        if new:
            done.add(new)
        now = get_stage_status(ws, pid)
        assert {k for k, v in now.items() if v} == done

    raw = pipeline.stage_ingest(ws, pid, _tiny_table(), None, "tiny.csv")
    expect(None)  # raw data alone is not the Data stage's result: that is a cleaned table
    cleaned = pipeline.stage_clean(ws, pid, raw["id"], target="y")
    expect("data")
    dataset_id = cleaned["dataset"]["id"]
    pipeline.stage_problem(ws, pid, dataset_id, "y")
    expect("problem")
    fs = pipeline.stage_features(ws, pid, dataset_id)
    expect("features")
    trained = pipeline.stage_train(ws, pid, fs["id"], TrainConfig(models=("logistic",), cv_folds=2))
    expect("train")
    run_id = trained["experiment"]["best_run_id"]
    pipeline.stage_explain(ws, pid, run_id, max_rows=30)
    expect("explain")
    pipeline.stage_register(ws, pid, run_id, alias="champion", override_reason="test")
    expect("registry")
    pipeline.stage_deploy(ws, pid, RoutingConfig("single"))
    expect("deploy")
    pipeline.stage_monitor(ws, pid, TrafficConfig(windows=2, rows_per_window=50))
    expect("monitor")
    assert done == set(STAGES)


def test_stage_status_is_per_project(ws):
    from core import pipeline

    a = create_project(ws, "a")["id"]
    b = create_project(ws, "b")["id"]
    raw = pipeline.stage_ingest(ws, a, _tiny_table(50), None, "tiny.csv")
    pipeline.stage_clean(ws, a, raw["id"], target="y")
    assert get_stage_status(ws, a)["data"] is True
    assert get_stage_status(ws, b)["data"] is False


def test_create_unique_project_counts_up(ws):
    assert create_unique_project(ws, "run", source="a.csv")["name"] == "run"
    assert create_unique_project(ws, "run")["name"] == "run (2)"
    create_project(ws, "run (3)")
    assert create_unique_project(ws, "run")["name"] == "run (4)"
    assert create_unique_project(ws, "bad/name")["name"] == "bad name"


def test_projects_created_at_once_with_one_name_all_get_their_own(tmp_path):
    """Two CLI runs of one file start together: each claims a name with its insert, so neither is
    told the name is taken (the check-then-create race CI once hit)."""
    from concurrent.futures import ThreadPoolExecutor

    from core.workspace import Workspace

    Workspace(tmp_path / "ws")  # made once: a fresh workspace opened at once is test_workspace's concern
    barrier = __import__("threading").Barrier(6)

    def create(_):
        ws = Workspace(tmp_path / "ws")  # a handle of its own, as a separate process has
        barrier.wait(timeout=60)  # a thread that failed breaks the barrier instead of hanging the others
        return create_unique_project(ws, "oneclass")["name"]

    with ThreadPoolExecutor(6) as pool:
        names = list(pool.map(create, range(6)))
    assert sorted(names) == sorted(["oneclass"] + [f"oneclass ({n})" for n in range(2, 7)])

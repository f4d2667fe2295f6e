"""A project's catalog features: added and removed by name, reused by two projects, joined point-in-time
into the training table (also by the Train stage's own loader)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from core.data.datasets import save_dataset
from core.features.featurestore import save_feature_set
from core.features.preprocessing import FeatureConfig
from core.featurestore import catalog, project_features
from core.featurestore.definitions import Expression, FeatureDefinition
from core.problem.definition import ProblemConfig
from core.problem.store import set_problem
from core.stages.lab import _load_training_inputs
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, DataError, NotFoundError
from core.workspace.projects import create_project

EVENTS = pd.DataFrame(
    {
        "customer_id": ["1", "1", "2", "1"],
        "timestamp": pd.to_datetime(["2024-07-01 10:00", "2024-07-02 10:00", "2024-07-01 12:00", "2024-08-01 00:00"]),
        "amount": [10.0, 20.0, 5.0, 1.0],
    }
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    owner = create_project(ws, "accounts")
    source = save_dataset(ws, owner["id"], EVENTS, kind="raw", name="events.csv")
    for name, aggregate, window in (("spend_total", "sum", None), ("spend_7d", "sum", "7d")):
        catalog.register_definition(
            ws,
            FeatureDefinition(
                name=name,
                entity="customer_id",
                timestamp="timestamp",
                expression=Expression("column", ("amount",)),
                aggregate=aggregate,
                window=window,
                owner="risk",
                description="Spend.",
                source_dataset_id=source["id"],
            ),
        )
    return ws


def test_two_projects_reuse_one_definition_each_with_its_own_rows(ws: Workspace) -> None:
    shop, bank = create_project(ws, "shop"), create_project(ws, "bank")
    for project in (shop, bank):
        project_features.add_to_project(ws, project["id"], "spend_total")
    project_features.add_to_project(ws, bank["id"], "spend_7d")
    assert catalog.users_of(ws, "spend_total") == ["bank", "shop"] and catalog.users_of(ws, "spend_7d") == ["bank"]
    shop_rows = pd.DataFrame({"cid": [1, 2], "when": pd.to_datetime(["2024-07-02 10:00", "2024-07-02 00:00"])})
    bank_rows = pd.DataFrame(
        {"cid": ["1.0", "1", "3"], "when": pd.to_datetime(["2024-07-05", "2024-09-01", "2024-09-01"])}
    )
    shop_frame = project_features.training_frame(ws, shop["id"], shop_rows, "cid", "when")
    bank_frame = project_features.training_frame(ws, bank["id"], bank_rows, "cid", "when")
    # 2024-07-02 10:00 itself is not counted: a row never sees an event of its own instant.
    assert list(shop_frame.columns) == ["cid", "when", "spend_total"] and shop_frame["spend_total"].tolist() == [
        10.0,
        5.0,
    ]
    assert bank_frame["spend_total"].tolist() == [30.0, 31.0, 0.0]  # 1.0 and "1" are one customer; 3 has none
    assert bank_frame["spend_7d"].tolist() == [30.0, 0.0, 0.0]  # by September the July spend left the window
    assert shop_rows.columns.tolist() == ["cid", "when"]  # the caller's table is not changed


def test_a_project_uses_one_version_of_a_name_and_can_remove_it(ws: Workspace) -> None:
    shop = create_project(ws, "shop")
    first = project_features.add_to_project(ws, shop["id"], "spend_total")
    changed = catalog.get_definition(ws, "spend_total")["definition"]
    second = catalog.register_definition(ws, replace(changed, description="Spend, all of it."))
    assert second["version"] == 2
    project_features.add_to_project(ws, shop["id"], "spend_total", version=1)
    project_features.add_to_project(ws, shop["id"], "spend_total")  # the newest replaces version 1
    assert [s["id"] for s in catalog.project_definitions(ws, shop["id"])] == [second["id"]] != [first["id"]]
    assert project_features.project_feature_names(ws, shop["id"]) == ["spend_total"]
    project_features.remove_from_project(ws, shop["id"], "spend_total")
    project_features.remove_from_project(ws, shop["id"], "spend_total")  # again: nothing to do
    assert catalog.project_definitions(ws, shop["id"]) == []
    with pytest.raises(NotFoundError):
        project_features.add_to_project(ws, shop["id"], "nope")


def test_the_training_frame_names_a_missing_column(ws: Workspace) -> None:
    shop = create_project(ws, "shop")
    project_features.add_to_project(ws, shop["id"], "spend_total")
    rows = pd.DataFrame({"cid": [1], "when": pd.to_datetime(["2024-07-02"])})
    with pytest.raises(DataError, match="no entity column 'customer'"):
        project_features.training_frame(ws, shop["id"], rows, "customer", "when")
    no_features = create_project(ws, "plain")
    assert project_features.training_frame(ws, no_features["id"], rows, "cid", "when").equals(rows)


def test_the_train_stage_loads_the_table_with_the_catalog_features(ws: Workspace) -> None:
    shop = create_project(ws, "shop")
    table = pd.DataFrame(
        {
            "customer_id": [1, 2, 1, 2] * 5,
            "timestamp": pd.date_range("2024-07-01", periods=20, freq="6h"),
            "basket": range(20),
            "bought": [0, 1] * 10,
        }
    )
    dataset = save_dataset(ws, shop["id"], table, kind="cleaned", name="shop.csv")
    problem = ProblemConfig(target="bought", task="binary", metric="roc_auc", positive_class="1")
    set_problem(ws, shop["id"], problem)
    fs = save_feature_set(ws, shop["id"], dataset["id"], table, problem, FeatureConfig())
    assert "spend_7d" not in _load_training_inputs(ws, shop["id"], fs["id"])[3].columns  # none used: unchanged
    project_features.add_to_project(ws, shop["id"], "spend_7d")
    df = _load_training_inputs(ws, shop["id"], fs["id"])[3]
    expected = project_features.training_frame(ws, shop["id"], table, "customer_id", "timestamp")["spend_7d"]
    assert df["spend_7d"].tolist() == expected.tolist() and df["spend_7d"].iloc[-1] == 5.0
    no_entity = save_dataset(ws, shop["id"], table.drop(columns="customer_id"), kind="cleaned", name="shop.csv")
    fs2 = save_feature_set(ws, shop["id"], no_entity["id"], table.drop(columns="customer_id"), problem, FeatureConfig())
    with pytest.raises(ConfigError, match="computed per 'customer_id'"):
        _load_training_inputs(ws, shop["id"], fs2["id"])

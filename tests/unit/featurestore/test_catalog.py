"""The catalog: definitions stored in the workspace, versioned by name, reused across projects."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from core.data.datasets import save_dataset
from core.featurestore import catalog
from core.featurestore.definitions import Expression, FeatureDefinition
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.projects import create_project, delete_project

EVENTS = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C2"],
        "timestamp": pd.to_datetime(["2024-07-01 10:00", "2024-07-02 10:00", "2024-07-01 12:00"]),
        "amount": [10.0, 20.0, 5.0],
        "kind": ["purchase", "chargeback", "purchase"],
    }
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def source(ws: Workspace) -> dict:
    project = create_project(ws, "events owner")
    return save_dataset(ws, project["id"], EVENTS, kind="raw", name="card_events.csv")


def spend(source_id: int, **changes) -> FeatureDefinition:
    base = dict(
        name="spend_7d",
        entity="customer_id",
        timestamp="timestamp",
        expression=Expression("column", ("amount",)),
        aggregate="sum",
        window="7d",
        owner="risk team",
        description="Spent in the 7 days before.",
        source_dataset_id=source_id,
    )
    return FeatureDefinition(**{**base, **changes})


def test_versions_by_name_and_same_content_is_not_a_new_version(ws: Workspace, source: dict) -> None:
    first = catalog.register_definition(ws, spend(source["id"]))
    again = catalog.register_definition(ws, spend(source["id"]))
    changed = catalog.register_definition(ws, spend(source["id"], window="30d"))
    assert (first["version"], again["id"], changed["version"]) == (1, first["id"], 2)
    assert catalog.get_definition(ws, "spend_7d")["definition"].window == "30d"
    assert catalog.get_definition(ws, "spend_7d", 1)["definition"].window == "7d"
    with pytest.raises(NotFoundError, match="version 9"):
        catalog.get_definition(ws, "spend_7d", 9)
    with pytest.raises(NotFoundError, match="'nope'"):
        catalog.get_definition(ws, "nope")


def test_name_and_version_are_unique_in_the_database(ws: Workspace, source: dict) -> None:
    first = catalog.register_definition(ws, spend(source["id"]))
    with pytest.raises(sqlite3.IntegrityError), ws.transaction() as conn:
        conn.execute(
            "INSERT INTO feature_definitions (name, version, entity, timestamp_column, definition_json, owner, "
            "description, created_at) VALUES ('spend_7d', 1, 'c', 't', '{}', 'o', 'd', 0)"
        )
    assert catalog.get_definition(ws, "spend_7d")["id"] == first["id"]


def test_the_source_must_exist_and_hold_the_columns(ws: Workspace, source: dict) -> None:
    with pytest.raises(NotFoundError, match="'source_dataset_id'"):
        catalog.register_definition(ws, spend(999))
    with pytest.raises(ConfigError, match="'expression.columns'.*'amount_eur'"):
        catalog.register_definition(ws, spend(source["id"], expression=Expression("log1p", ("amount_eur",))))
    with pytest.raises(ConfigError, match="'entity'"):
        catalog.register_definition(ws, spend(source["id"], entity="client"))
    with pytest.raises(ConfigError, match="'source_dataset_id'"):
        catalog.register_definition(ws, spend(source["id"], source_dataset_id=None))


def test_reuse_across_two_projects(ws: Workspace, source: dict) -> None:
    stored = catalog.register_definition(ws, spend(source["id"]))
    fraud = create_project(ws, "fraud")
    churn = create_project(ws, "churn")
    for project in (fraud, churn, fraud):  # the second add changes nothing
        catalog.use_in_project(ws, project["id"], stored["id"])
    assert [d["id"] for d in catalog.project_definitions(ws, fraud["id"])] == [stored["id"]]
    assert [d["definition"] for d in catalog.project_definitions(ws, churn["id"])] == [stored["definition"]]
    assert catalog.users_of(ws, "spend_7d") == ["churn", "fraud"]
    listing = catalog.list_definitions(ws)
    assert listing.loc[0, "used_by"] == "churn, fraud" and listing.loc[0, "expression"] == "column(amount)"
    assert catalog.list_definitions(ws, search="RISK").shape[0] == 1
    assert catalog.list_definitions(ws, search="weather").empty
    catalog.stop_using(ws, churn["id"], stored["id"])
    assert catalog.users_of(ws, "spend_7d") == ["fraud"]
    assert pd.testing.assert_frame_equal(catalog.load_source(ws, stored), EVENTS, check_dtype=False) is None


def test_deleting_the_project_that_owns_the_source_keeps_the_shared_definition(ws: Workspace, source: dict) -> None:
    stored = catalog.register_definition(ws, spend(source["id"]))
    fraud = create_project(ws, "fraud")
    catalog.use_in_project(ws, fraud["id"], stored["id"])
    delete_project(ws, source["project_id"])
    assert catalog.users_of(ws, "spend_7d") == ["fraud"]
    assert catalog.load_source(ws, catalog.get_definition(ws, "spend_7d")).shape == EVENTS.shape
    delete_project(ws, fraud["id"])  # its usage rows go with it
    assert catalog.users_of(ws, "spend_7d") == []


def test_use_in_project_names_what_is_missing(ws: Workspace, source: dict) -> None:
    stored = catalog.register_definition(ws, spend(source["id"]))
    with pytest.raises(NotFoundError, match="Project 77"):
        catalog.use_in_project(ws, 77, stored["id"])
    with pytest.raises(NotFoundError, match="Feature definition 55"):
        catalog.use_in_project(ws, source["project_id"], 55)

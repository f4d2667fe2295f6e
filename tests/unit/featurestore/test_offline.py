"""The offline store: materialised values per definition version and time range, hash-verified."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.data.datasets import save_dataset
from core.featurestore import catalog, offline
from core.featurestore.definitions import Expression, FeatureDefinition
from core.featurestore.joins import point_in_time_join
from core.featurestore.transforms import values_at
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, IntegrityError, NotFoundError
from core.workspace.projects import create_project

EVENTS = pd.DataFrame(
    {
        "customer_id": ["C1", "C1", "C2", "C1"],
        "timestamp": pd.to_datetime(["2024-07-01 10:00", "2024-07-02 10:00", "2024-07-01 12:00", "2024-08-01 00:00"]),
        "amount": [10.0, 20.0, 5.0, 1.0],
    }
)


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Workspace, dict]:
    ws = Workspace(tmp_path / "ws")
    project = create_project(ws, "events")
    source = save_dataset(ws, project["id"], EVENTS, kind="raw", name="events.csv")
    definition = FeatureDefinition(
        name="spend_total",
        entity="customer_id",
        timestamp="timestamp",
        expression=Expression("column", ("amount",)),
        aggregate="sum",
        owner="risk",
        description="Spent so far.",
        source_dataset_id=source["id"],
    )
    return ws, catalog.register_definition(ws, definition)


def test_materialised_values_round_trip_and_join_like_computed_ones(stored: tuple[Workspace, dict]) -> None:
    ws, row = stored
    done = offline.materialise_to_store(ws, row["id"])
    frame = offline.read_materialised(ws, done["id"])
    assert done["rows"] == 4 and list(frame.columns) == ["customer_id", "timestamp", "spend_total"]
    assert list(frame["spend_total"]) == [10.0, 5.0, 30.0, 31.0]
    labels = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2"],
            "timestamp": pd.to_datetime(["2024-07-02 10:00", "2024-07-05 00:00", "2024-09-01 00:00"]),
        }
    )
    joined = point_in_time_join(labels, frame, entity="customer_id", label_time="timestamp", feature_time="timestamp")
    computed = values_at(row["definition"], EVENTS, labels["customer_id"], labels["timestamp"])
    assert list(joined["spend_total"]) == list(computed) == [10.0, 30.0, 5.0]  # a whole-history sum agrees
    assert offline.latest_materialised(ws, row["id"]).equals(frame)


def test_a_time_range_keeps_its_rows_only(stored: tuple[Workspace, dict]) -> None:
    ws, row = stored
    july = offline.materialise_to_store(ws, row["id"], pd.Timestamp("2024-07-01 11:00"), pd.Timestamp("2024-08-01"))
    assert july["rows"] == 2 and july["start_ts"] < july["end_ts"]
    assert [m["id"] for m in offline.list_materialisations(ws, row["id"])] == [july["id"]]
    with pytest.raises(ConfigError, match="before its end"):
        offline.materialise_to_store(ws, row["id"], pd.Timestamp("2024-08-01"), pd.Timestamp("2024-07-01"))


def test_a_changed_file_is_refused(stored: tuple[Workspace, dict]) -> None:
    ws, row = stored
    done = offline.materialise_to_store(ws, row["id"])
    path = ws.artifact_dir / ws.artifact_info(done["artifact_id"])["path"]
    path.write_bytes(path.read_bytes()[:-8] + b"tampered")
    with pytest.raises(IntegrityError):
        offline.read_materialised(ws, done["id"])


def test_nothing_materialised_yet_is_said_plainly(stored: tuple[Workspace, dict]) -> None:
    ws, row = stored
    with pytest.raises(NotFoundError, match="materialise it first"):
        offline.latest_materialised(ws, row["id"])

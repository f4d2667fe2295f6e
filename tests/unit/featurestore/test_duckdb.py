"""The offline store's Parquet reads in DuckDB, and DuckDB's own ASOF JOIN on it gives the values the
studio's point-in-time join gives (strictly earlier feature rows, by entity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.datasets import save_dataset
from core.featurestore import catalog, offline, online
from core.featurestore.definitions import Expression, FeatureDefinition
from core.featurestore.joins import point_in_time_join
from core.workspace.database import Workspace
from core.workspace.projects import create_project

duckdb = pytest.importorskip("duckdb")


def test_duckdb_reads_the_offline_parquet_and_its_asof_join_agrees(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(0)
    events = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 30, 500),
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60 * 24, 500), unit="h"),
            "amount": rng.gamma(2.0, 20.0, 500).round(2),
        }
    )
    project = create_project(ws, "events")
    source = save_dataset(ws, project["id"], events, kind="raw", name="events.csv")
    catalog.register_definition(
        ws,
        FeatureDefinition(
            name="spend_7d",
            entity="customer_id",
            timestamp="timestamp",
            expression=Expression("column", ("amount",)),
            aggregate="sum",
            window="7d",
            owner="risk",
            description="Spend over a week.",
            source_dataset_id=source["id"],
        ),
    )
    done = online.materialise(ws, "spend_7d")
    info = ws.artifact_info(offline.get_materialisation(ws, done["materialisation_id"])["artifact_id"])
    path = ws.artifact_dir / info["path"]
    stored = offline.read_materialised(ws, done["materialisation_id"])
    with duckdb.connect() as con:
        count = con.execute("SELECT COUNT(*) FROM read_parquet(?)", [str(path)]).fetchall()[0][0]
        labels = pd.DataFrame(
            {
                "row_id": range(200),
                "customer_id": [str(c) for c in rng.integers(0, 30, 200)],
                "ts": pd.Timestamp("2024-01-05") + pd.to_timedelta(rng.integers(0, 50 * 24, 200), unit="h"),
            }
        )
        con.register("labels", labels)
        joined = con.execute(
            """SELECT l.row_id, f.spend_7d FROM labels l ASOF LEFT JOIN read_parquet(?) f
               ON l.customer_id = f.customer_id AND l.ts > f.timestamp ORDER BY l.row_id""",
            [str(path)],
        ).df()
    assert count == len(stored) == done["offline_rows"]
    ours = point_in_time_join(labels, stored, entity="customer_id", label_time="ts", feature_time="timestamp")
    assert np.allclose(joined["spend_7d"].to_numpy(float), ours["spend_7d"].to_numpy(float), equal_nan=True)
    assert ours["spend_7d"].notna().sum() > 150

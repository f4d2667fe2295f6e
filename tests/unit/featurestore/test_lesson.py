"""The point-in-time lesson: the naive join looks better in validation and does worse later; its CLI
prints exactly the four numbers and the metric's name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.featurestore import catalog
from core.featurestore.lesson import LATER_FROM, LESSON_PROJECT, run_point_in_time_lesson
from core.workspace.database import Workspace
from core.workspace.projects import get_project

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def cli_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    workspace = tmp_path_factory.mktemp("lesson") / "ws"
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_STUDIO_WORKSPACE"}
    proc = subprocess.run(
        [sys.executable, "-m", "core", "lesson", "point-in-time", "--workspace", str(workspace), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1  # one JSON object, nothing else
    return {"result": json.loads(lines[0]), "workspace": workspace}


def test_cli_prints_exactly_the_contract(cli_json: dict) -> None:
    result = cli_json["result"]
    assert set(result) == {"point_in_time", "naive", "metric"}
    assert result["metric"] == "roc_auc"
    for join in ("point_in_time", "naive"):
        assert set(result[join]) == {"validation", "later"}
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in result[join].values())


def test_the_naive_join_looks_better_in_validation_and_does_worse_later(cli_json: dict) -> None:
    pit, naive = cli_json["result"]["point_in_time"], cli_json["result"]["naive"]
    assert naive["validation"] > pit["validation"]
    assert naive["later"] < naive["validation"]
    assert naive["later"] < pit["later"]


def test_the_lesson_keeps_its_features_in_the_catalog_once(cli_json: dict) -> None:
    ws = Workspace(cli_json["workspace"])
    first = run_point_in_time_lesson(ws)  # a second run: same numbers, nothing new stored
    assert first.to_json() == cli_json["result"]
    listing = catalog.list_definitions(ws)
    assert sorted(listing["name"]) == ["account_events_7d", "card_blocks", "chargebacks_30d", "new_device_logins_24h"]
    assert set(listing["version"]) == {1} and set(listing["used_by"]) == {LESSON_PROJECT}
    project = get_project(ws, LESSON_PROJECT)
    assert len(catalog.project_definitions(ws, project["id"])) == 4
    assert ws.query_one("SELECT COUNT(*) AS n FROM datasets")["n"] == 1


def test_the_timeline_shows_the_leak_and_never_a_future_value_point_in_time() -> None:
    result = run_point_in_time_lesson()
    timeline = result.timeline
    assert list(timeline.columns) == ["transaction_id", "timestamp", "amount", "is_fraud", "point_in_time", "naive"]
    assert timeline["timestamp"].is_monotonic_increasing and timeline["is_fraud"].sum() >= 1
    fraud_at = timeline.loc[timeline["is_fraud"] == 1, "timestamp"].iloc[0]
    before = timeline[timeline["timestamp"] <= fraud_at]
    assert (before["point_in_time"] == 0).all()  # no block is known before the fraud
    assert (before["naive"] > 0).all()  # the naive join already shows the block that came after
    assert timeline["timestamp"].min() < LATER_FROM
    assert result.customer in result.sentence and "ROC-AUC" in result.sentence
    assert pd.Series(result.rows).gt(1000).all()

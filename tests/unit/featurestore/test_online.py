"""The online store: materialise (offline Parquet + each entity's latest value, also as a job), read a
few entities, freshness, events from traffic, and the skew check (online = offline point-in-time)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.datasets import save_dataset
from core.featurestore import catalog, lesson, offline, online, skew
from core.featurestore.definitions import Expression, FeatureDefinition
from core.featurestore.monitoring import feature_health
from core.workspace import jobs
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.projects import create_project

EVENTS = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 1, 3, 3],
        "timestamp": pd.to_datetime(
            [
                "2024-07-01 10:00",
                "2024-07-02 10:00",
                "2024-07-01 12:00",
                "2024-08-01 00:00",
                "2024-08-03 00:00",
                "2024-08-03 00:00",
            ]
        ),
        "amount": [10.0, 20.0, 5.0, 1.0, 7.0, 2.0],
    }
)
FEATURES = [
    ("spend_total", "sum", None),
    ("spend_7d", "sum", "7d"),
    ("last_amount", "last", None),
    ("mean_30d", "mean", "30d"),
    ("purchases_24h", "count", "24h"),
]


def _define(ws: Workspace, source_id: int, name: str, aggregate: str, window: str | None) -> dict:
    expression = None if aggregate == "count" else Expression("column", ("amount",))
    return catalog.register_definition(
        ws,
        FeatureDefinition(
            name=name,
            entity="customer_id",
            timestamp="timestamp",
            expression=expression,
            aggregate=aggregate,
            window=window,
            owner="risk",
            description="A test feature.",
            source_dataset_id=source_id,
        ),
    )


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    project = create_project(ws, "accounts")
    source = save_dataset(ws, project["id"], EVENTS, kind="raw", name="events.csv")
    for name, aggregate, window in FEATURES:
        _define(ws, source["id"], name, aggregate, window)
    return ws


def test_materialise_writes_offline_rows_and_each_entitys_latest_value(ws: Workspace) -> None:
    seen: list[float] = []
    done = online.materialise(ws, "spend_total", progress=lambda f, m: seen.append(f))
    assert done["offline_rows"] == 5 and done["online_entities"] == 3 and done["version"] == 1
    assert seen[0] < seen[-1] == 1.0 and done["newest_event"] == "2024-08-03T00:00:00"
    frame = offline.read_materialised(ws, done["materialisation_id"])  # the Parquet, hash-verified
    assert frame["spend_total"].tolist() == [10.0, 5.0, 30.0, 31.0, 9.0]
    got = online.online_features(ws, ["spend_total"], [1, "2", 3.0, 99, None])
    assert got["entity"].tolist() == [1, "2", 3.0, 99, None]
    assert got["spend_total"].tolist()[:3] == [31.0, 5.0, 9.0] and got["spend_total"].isna().tolist()[3:] == [True] * 2


def test_online_features_reads_several_features_and_says_which_feature_does_not_exist(ws: Workspace) -> None:
    for name, _aggregate, _window in FEATURES:
        online.materialise(ws, name)
    got = online.online_features(ws, ["spend_7d", "last_amount", "purchases_24h"], ["1"])
    assert got.iloc[0][["spend_7d", "last_amount", "purchases_24h"]].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(NotFoundError, match="'nope' does not exist"):
        online.online_features(ws, ["nope"], [1])


def test_freshness_is_the_age_of_the_newest_value(ws: Workspace) -> None:
    empty = online.freshness(ws, "spend_total")
    assert empty["entities"] == 0 and empty["age_seconds"] is None and empty["materialised_at"] is None
    online.materialise(ws, "spend_total")
    fresh = online.freshness(ws, "spend_total")
    expected = time.time() - pd.Timestamp("2024-08-03").timestamp()
    assert fresh["entities"] == 3 and fresh["newest_event"] == "2024-08-03T00:00:00"
    assert abs(fresh["age_seconds"] - expected) < 60 and fresh["materialised_at"] is not None


def test_materialise_runs_as_a_job_with_its_result(ws: Workspace) -> None:
    job_id = online.start_materialise_job(ws, "spend_7d")
    for _i in range(600):
        job = jobs.get_job(ws, job_id)
        if job["status"] != "running":
            break
        time.sleep(0.05)
    assert job["kind"] == online.JOB_KIND and job["status"] == "succeeded", job
    assert "3 entities online" in job["message"]
    assert online.online_features(ws, ["spend_7d"], [3])["spend_7d"].tolist() == [9.0]
    with pytest.raises(NotFoundError):
        online.start_materialise_job(ws, "nope")


@pytest.mark.parametrize(("name", "_aggregate", "_window"), FEATURES)
def test_online_values_equal_the_offline_point_in_time_values(ws: Workspace, name, _aggregate, _window) -> None:
    online.materialise(ws, name)
    result = skew.skew_check(ws, name)
    assert result["checked"] == 3 and result["matching"] == 3 and result["consistent"], result


def test_the_skew_check_finds_a_value_the_online_store_got_wrong(ws: Workspace) -> None:
    stored = online.materialise(ws, "spend_7d")
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE feature_online SET value = 999 WHERE definition_id = ? AND entity_key = '1'",
            (stored["definition_id"],),
        )
    result = skew.skew_check(ws, "spend_7d")
    assert not result["consistent"] and result["matching"] == 2
    assert result["mismatches"] == [{"entity": "1", "moment": "2024-08-01T00:00:00", "online": 999, "offline": 1.0}]


def test_new_events_update_the_latest_value_and_stay_consistent(ws: Workspace) -> None:
    project = create_project(ws, "shop")
    for name in ("spend_total", "spend_7d"):
        online.materialise(ws, name)
        catalog.use_in_project(ws, project["id"], catalog.get_definition(ws, name)["id"])
    moment = pd.Timestamp("2024-08-04 12:00")
    recorded = online.record_events(
        ws, project["id"], [{"customer_id": 1.0, "amount": 100.0}, {"customer_id": "4", "amount": 3.0}], moment
    )
    assert recorded == {"spend_total": 2, "spend_7d": 2}
    got = online.online_features(ws, ["spend_total", "spend_7d"], [1, 4, 2])
    assert got[["spend_total", "spend_7d"]].to_numpy().tolist() == [[131.0, 101.0], [3.0, 3.0], [5.0, 5.0]]
    assert online.freshness(ws, "spend_total")["newest_event"] == "2024-08-04T12:00:00"
    for name in ("spend_total", "spend_7d"):
        assert skew.skew_check(ws, name)["consistent"]
    again = online.materialise(ws, "spend_total")  # the recorded events are part of the history now
    assert again["offline_rows"] == 7 and online.online_features(ws, ["spend_total"], [4])["spend_total"][0] == 3.0
    assert online.record_events(ws, project["id"], [{"other": 1}]) == {}


def test_the_lesson_features_on_card_events_are_consistent_online_and_offline(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    project = create_project(ws, "lesson")
    _transactions, events = lesson.read_samples()
    source = save_dataset(ws, project["id"], events, kind="raw", name="card_events.csv")
    for definition in lesson.lesson_definitions(source["id"]):
        catalog.register_definition(ws, definition)
        done = online.materialise(ws, definition.name)
        assert done["online_entities"] > 50
        result = skew.skew_check(ws, definition.name, sample=50, seed=1)
        assert result["checked"] == 50 and result["consistent"], result["mismatches"][:3]


def test_feature_health_reports_null_rate_and_drift_per_bucket(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    project = create_project(ws, "drifting")
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=20, freq="D")
    times = np.repeat(days, 50) + pd.to_timedelta(np.tile(np.arange(50), 20), unit="min")
    amount = np.where(np.repeat(np.arange(20), 50) < 10, rng.normal(10, 1, 1000), rng.normal(30, 1, 1000))
    amount[np.repeat(np.arange(20), 50) == 5] = np.nan  # a day of missing amounts
    frame = pd.DataFrame({"customer_id": rng.integers(0, 100, 1000), "timestamp": times, "amount": amount})
    source = save_dataset(ws, project["id"], frame, kind="raw", name="amounts.csv")
    _define(ws, source["id"], "mean_24h", "mean", "24h")
    health = feature_health(ws, "mean_24h")  # never materialised: computed from the history
    assert health["bucket"] == "day" and health["test"] == "ks" and len(health["buckets"]) == 20
    first, missing, late = health["buckets"][0], health["buckets"][5], health["buckets"][15]
    assert first["psi"] == 0.0 and not first["drifted"] and first["start"] == "2024-01-01"
    assert missing["null_rate"] > 0.5 and health["buckets"][3]["null_rate"] == 0.0 and health["null_rate"] > 0
    assert late["drifted"] and late["psi"] > 0.25 and not health["buckets"][3]["drifted"]
    online.materialise(ws, "mean_24h")
    assert feature_health(ws, "mean_24h", bucket="week")["bucket"] == "week"
    assert feature_health(ws, "mean_24h")["freshness"]["entities"] == 100


def test_feature_health_does_not_judge_drift_on_a_handful_of_values(ws: Workspace) -> None:
    health = feature_health(ws, "spend_total")  # a value or two a day
    later = health["buckets"][1:]
    assert later and all(b["psi"] is None and b["pvalue"] is None and not b["drifted"] for b in later)
    assert health["buckets"][0]["start"] == "2024-07-01"
    weekly = feature_health(ws, "spend_total", bucket="week")["buckets"]
    assert [b["start"] for b in weekly] == ["2024-07-01", "2024-07-29"]  # weeks start on Mondays
    with pytest.raises(ConfigError, match="must be one of day, week"):
        feature_health(ws, "spend_total", bucket="month")

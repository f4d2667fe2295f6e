"""Right to erasure: after `erase_entity`, scanning every table and every artifact of the workspace
(Parquet decompressed to its cells, JSON, models unpickled, the prediction log's stored frames decoded,
the database file's own bytes) finds no trace of the person's id, in clear or hashed; the datasets lost
exactly their rows, hashes verify, the audit entry holds no value, and the models to retrain are named."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from core.data import datasets
from core.deployment import serving
from core.deployment.stored_inputs import decode_inputs
from core.pipeline import PipelineConfig, run_pipeline
from core.security.erasure import audit_hash, erase_entity
from core.security.masking import hash_text, pii_key
from core.stages.data import stage_ingest
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError

TARGET = "maria.erasme@example.com"


def _people(n: int = 240, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    cidade = rng.choice(["Recife", "Natal", "Belém"], n)
    y = np.where(x1 + 0.8 * (cidade == "Recife") + rng.normal(scale=0.5, size=n) > 0.3, "sim", "não")
    emails = [f"cliente{i}@example.com" for i in range(n)]
    emails[7] = TARGET
    return pd.DataFrame({"email": emails, "x1": x1, "cidade": cidade, "compra": y})


@pytest.fixture(scope="module")
def erased(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("erasure") / "ws")
    data = _people()
    csv = tmp_path_factory.mktemp("upload") / "people.csv"
    data.to_csv(csv, index=False)
    run_pipeline(
        ws, data, None, PipelineConfig(target="compra", project_name="p", cv_folds=2, windows=1, rows_per_window=30)
    )
    stage_ingest(ws, 1, data, None, "people.csv", upload=csv.read_bytes())  # an upload keeps its file too
    raw = datasets.latest_dataset(ws, 1, "raw")
    dep = serving.get_active_deployment(ws, 1)
    assert dep is not None
    batch = _people(80, seed=5).drop(columns="compra")
    batch.loc[3, "email"] = TARGET
    serving.predict(ws, dep, batch)  # a batch stored once
    serving.predict(ws, dep, [{"email": TARGET, "x1": 0.1, "cidade": "Natal"}])  # one JSON row
    before = {d["id"]: d["rows"] for d in ws.query("SELECT id, rows FROM datasets")}
    result = erase_entity(ws, 1, "email", TARGET)
    return ws, result, before, raw


def _texts(ws: Workspace):
    """(where, text) for everything the workspace holds."""
    for art in ws.query("SELECT id, kind, path FROM artifacts"):
        data = (ws.artifact_dir / art["path"]).read_bytes()
        if art["path"].endswith(".parquet"):
            yield art["path"], pd.read_parquet(io.BytesIO(data)).to_csv()
        elif art["kind"] == "model":  # whatever its format (joblib, skops): the loaded object's pickle
            yield art["path"], pickle.dumps(ws.load_model(art["id"])).decode("latin-1")
        else:
            yield art["path"], data.decode("latin-1")
    for table in [r["name"] for r in ws.query("SELECT name FROM sqlite_master WHERE type = 'table'")]:
        for row in ws.query(f'SELECT * FROM "{table}"'):
            for name, value in row.items():
                if isinstance(value, bytes) and table == "prediction_inputs" and name == "data":
                    yield table, decode_inputs(value, np.arange(row["rows"])).to_csv()
                else:
                    yield f"{table}.{name}", str(value)
    for path in ws.root.glob("studio.db*"):
        yield path.name, path.read_bytes().decode("latin-1")


@pytest.mark.slow  # the module's workspace runs a (small) full pipeline
def test_no_trace_of_the_person_is_left_anywhere(erased):
    ws, result, _before, _raw = erased
    secrets = [TARGET, hash_text(TARGET, pii_key(ws.root))]
    found = [(where, s) for where, text in _texts(ws) for s in secrets if s in text]
    assert found == []


@pytest.mark.slow  # the module's workspace runs a (small) full pipeline
def test_the_datasets_lost_exactly_the_persons_row_and_still_verify(erased):
    ws, result, before, _raw = erased
    after = {d["id"]: d["rows"] for d in ws.query("SELECT id, rows FROM datasets")}
    assert all(before[i] - after[i] == 1 for i in result.datasets) and len(result.datasets) >= 2
    assert result.dataset_rows == len(result.datasets)
    for dataset_id in after:
        assert len(datasets.load_dataset(ws, dataset_id)) == after[dataset_id]  # the SHA-256 check passes
    assert result.log_rows >= 2  # the batch row and the JSON row (the simulated traffic may have drawn the row too)


@pytest.mark.slow  # the module's workspace runs a (small) full pipeline
def test_the_audit_entry_names_no_one_and_the_models_to_retrain(erased):
    ws, result, _before, _raw = erased
    [entry] = ws.query("SELECT detail_json FROM audit_log WHERE action = 'privacy.erasure'")
    detail = json.loads(entry["detail_json"])
    assert TARGET not in entry["detail_json"]
    assert detail["value_hash"] == audit_hash(TARGET, pii_key(ws.root)) and detail["column"] == "email"
    assert detail["retrained"] is False and detail["models_to_retrain"]
    assert {m["name"] for m in detail["models_to_retrain"]} and not any(
        m["holds_value"] for m in detail["models_to_retrain"]
    )


@pytest.mark.slow  # the module's workspace runs a (small) full pipeline
def test_erasing_nobody_finds_nothing_and_bad_requests_are_refused(erased):
    ws, _result, _before, _raw = erased
    again = erase_entity(ws, 1, "email", TARGET)
    assert not again.found and again.models_to_retrain == []
    with pytest.raises(ConfigError, match="needs a column and the value"):
        erase_entity(ws, 1, "email", " ")
    with pytest.raises(NotFoundError):
        erase_entity(ws, 99, "email", TARGET)


def test_a_cleaned_version_without_the_column_loses_the_persons_rows_too(ws):
    from core.data.cleaning import CleaningRecipe, CleaningStep
    from core.stages.data import stage_clean
    from core.workspace.projects import create_project

    pid = create_project(ws, "p")["id"]
    raw = _people(30)
    raw_row = stage_ingest(ws, pid, raw, None, "people.csv")
    drop = CleaningRecipe((CleaningStep("drop_columns", {"columns": ["email"]}),))
    cleaned_id = stage_clean(ws, pid, raw_row["id"], drop)["dataset"]["id"]
    person = datasets.load_dataset(ws, cleaned_id).iloc[[7]]
    copy_id = ws.save_frame(datasets.load_dataset(ws, cleaned_id), "holdout")  # e.g. a split kept apart
    result = erase_entity(ws, pid, "email", TARGET)
    assert result.datasets == [raw_row["id"], cleaned_id] and result.dataset_rows == 2
    cleaned = datasets.load_dataset(ws, cleaned_id)
    assert len(cleaned) == 29 and not (cleaned["x1"] == person["x1"].iloc[0]).any()
    holdout = ws.load_frame(copy_id)
    assert len(holdout) == 29 and not (holdout["x1"] == person["x1"].iloc[0]).any()


def test_a_short_id_is_erased_from_table_cells_only_not_inside_other_text(ws):
    from core.workspace.projects import create_project

    pid = create_project(ws, "p")["id"]
    table = pd.DataFrame({"id": [7, 17, 70], "note": ["a", "b", "c"]})
    raw = stage_ingest(ws, pid, table, None, "t.csv", upload=b"id,note\n7,a\n17,b\n70,c\n")
    result = erase_entity(ws, pid, "id", "7")
    assert datasets.load_dataset(ws, raw["id"])["id"].tolist() == [17, 70]
    assert datasets.load_upload(ws, raw["id"]) == b"id,note\n17,b\n70,c\n"  # only the line whose field is 7
    assert result.dataset_rows == 1 and result.text_cells == 0
    info = json.loads(ws.query_one("SELECT read_info_json FROM datasets")["read_info_json"] or "null")
    assert info is None or "[erased]" not in json.dumps(info)


def test_the_feature_stores_source_and_materialised_values_lose_the_entity(ws):
    from core.featurestore.catalog import register_definition
    from core.featurestore.definitions import Expression, FeatureDefinition
    from core.featurestore.offline import latest_materialised, materialise_to_store
    from core.workspace.projects import create_project

    pid = create_project(ws, "events")["id"]
    events = pd.DataFrame(
        {
            "customer_id": ["cust-0001", "cust-0002", "cust-0001", "cust-0003"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"]),
            "amount": [10.0, 20.0, 30.0, 40.0],
        }
    )
    source = stage_ingest(ws, pid, events, None, "events.csv")
    definition = FeatureDefinition(
        name="spend_7d",
        entity="customer_id",
        timestamp="timestamp",
        expression=Expression("column", ("amount",)),
        aggregate="sum",
        window="7d",
        owner="risk team",
        description="Spent in the 7 days before.",
        source_dataset_id=source["id"],
    )
    stored = register_definition(ws, definition)
    materialise_to_store(ws, stored["id"])
    assert "cust-0001" in latest_materialised(ws, stored["id"]).to_csv()
    result = erase_entity(ws, pid, "customer_id", "cust-0001")
    assert "cust-0001" not in latest_materialised(ws, stored["id"]).to_csv()
    assert result.artifact_rows >= 2  # the definition's own copy of the source and the stored values
    assert all("cust-0001" not in text for _where, text in _texts(ws))


def test_the_online_store_forgets_the_entity_by_its_canonical_key(ws):
    """The online table is WITHOUT ROWID with the entity in its primary key: the person's online value
    and recorded events are deleted (the numeric id 7 stored as "7" is found from "7.0" too)."""
    from core.featurestore import online
    from core.featurestore.catalog import register_definition
    from core.featurestore.definitions import Expression, FeatureDefinition
    from core.workspace.projects import create_project

    pid = create_project(ws, "accounts")["id"]
    events = pd.DataFrame(
        {
            "account": [7, 8, 7, 9],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"]),
            "amount": [10.0, 20.0, 30.0, 40.0],
        }
    )
    source = stage_ingest(ws, pid, events, None, "accounts.csv")
    stored = register_definition(
        ws,
        FeatureDefinition(
            name="last_amount",
            entity="account",
            timestamp="timestamp",
            expression=Expression("column", ("amount",)),
            aggregate="last",
            owner="risk team",
            description="The last amount.",
            source_dataset_id=source["id"],
        ),
    )
    online.materialise(ws, stored["name"])
    before = online.online_features(ws, ["last_amount"], [7, 8])
    assert before["last_amount"].notna().all()
    erase_entity(ws, pid, "account", "7.0")
    after = online.online_features(ws, ["last_amount"], [7, 8])
    assert pd.isna(after["last_amount"].iloc[0]) and after["last_amount"].iloc[1] == 20.0

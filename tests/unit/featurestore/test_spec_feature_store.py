"""Catalog features in the pipeline spec: exported from a project, checked by the feature store's own
rules (one line naming the field), applied to another project in another workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.data.datasets import save_dataset
from core.featurestore import catalog, lesson
from core.featurestore.project_features import add_to_project
from core.spec.errors import SpecError
from core.spec.feature_store import (
    FeatureStoreSpec,
    apply_feature_store,
    check_feature_store,
    export_feature_store,
)
from core.spec.io import dump_spec, load_spec
from core.spec.models import PipelineSpec
from core.workspace.database import Workspace
from core.workspace.projects import create_project


def test_a_projects_catalog_features_round_trip_through_a_spec(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "a")
    project = create_project(ws, "fraud")
    _transactions, events = lesson.read_samples()
    source = save_dataset(ws, project["id"], events, kind="raw", name="card_events.csv")
    for definition in lesson.lesson_definitions(source["id"])[:2]:
        catalog.register_definition(ws, definition)
        add_to_project(ws, project["id"], definition.name)
    assert export_feature_store(ws, create_project(ws, "plain")["id"]) is None
    section = export_feature_store(ws, project["id"])
    assert section is not None and [f.name for f in section.features] == ["card_blocks", "chargebacks_30d"]
    assert section.features[0].expression == "equals(kind, 'card_blocked')"
    assert section.features[1].window == "30d" and section.features[0].source == "sample:card_events"
    text = dump_spec(PipelineSpec(feature_store=section))
    assert "feature_store:" in text
    again = load_spec(text)
    other = Workspace(tmp_path / "b")
    target = create_project(other, "fraud elsewhere")
    stored = apply_feature_store(other, target["id"], again.feature_store)
    assert [s["name"] for s in stored] == ["card_blocks", "chargebacks_30d"]
    assert [s["name"] for s in catalog.project_definitions(other, target["id"])] == ["card_blocks", "chargebacks_30d"]
    assert apply_feature_store(other, target["id"], again.feature_store)[0]["version"] == 1  # again: same version
    assert apply_feature_store(other, target["id"], None) == []


@pytest.mark.parametrize(
    ("feature", "path", "words"),
    [
        ({"window": "1y"}, "feature_store.features[0].window", "24h"),
        ({"expression": "sum(amount)", "aggregate": "mean"}, "feature_store.features[0]", "expression"),
        ({"aggregate": "mean", "expression": None}, "feature_store.features[0]", "only count works without one"),
        ({"source": "/etc/passwd"}, "feature_store.features[0].source", "sample:<name>"),
        ({"name": "Bad Name"}, "feature_store.features[0]", "'name'"),
    ],
)
def test_a_bad_definition_is_one_line_naming_the_field(feature, path, words) -> None:
    base = {
        "name": "spend",
        "entity": "customer_id",
        "timestamp": "timestamp",
        "expression": "amount",
        "aggregate": "sum",
        "owner": "risk",
        "description": "Spend.",
    }
    assert load_spec("spec_version: 1\nfeature_store: {}\n").feature_store == FeatureStoreSpec()
    with pytest.raises(SpecError) as caught:
        spec = load_spec(yaml.safe_dump({"spec_version": 1, "feature_store": {"features": [{**base, **feature}]}}))
        assert spec.feature_store is not None
        check_feature_store(spec.feature_store)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith(path), str(caught.value)

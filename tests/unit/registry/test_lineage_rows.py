"""A version's lineage as rows a reviewer reads: names and versions, not ids or JSON keys."""

import pytest

from core.registry.lineage_rows import get_lineage_rows


@pytest.mark.slow  # a full demo pipeline
def test_lineage_rows_name_what_the_version_was_made_from(tmp_path):
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    ws = Workspace(tmp_path)
    run_demo(ws)
    version = ws.query_one("SELECT * FROM model_versions ORDER BY id LIMIT 1")
    rows = get_lineage_rows(ws, dict(version))
    table = dict(zip(rows["made from"], rows["details"]))
    assert {"data version", "cleaning recipe", "feature set", "training run", "validation", "predicts"} <= set(table)
    assert "rows" in table["data version"] and "run " in table["training run"]
    assert table["validation"] in ("time split", "stratified k-fold", "k-fold", "group k-fold")
    assert "ROC-AUC" in table["judged by"]
    assert not any("_" in k for k in table), table  # no JSON keys

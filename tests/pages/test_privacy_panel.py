"""The Data page's privacy panel: it lists the personal columns of the raw table with why, a button
adds a hash step to the recipe draft (the preview then shows no email), and it renders in Portuguese."""

from __future__ import annotations

import pandas as pd

from core.data import datasets
from core.stages.data import stage_ingest
from core.workspace.projects import create_project

PEOPLE = pd.DataFrame(
    {
        "email": ["ana@mail.com", "joao@uol.com.br", "bia@gmail.com", "rui@terra.com.br"] * 5,
        "cpf": ["529.982.247-25", "111.444.777-35", "390.533.447-05", "050.423.674-11"] * 5,
        "tenure": list(range(20)),
        "churn": ["Yes", "No"] * 10,
    }
)


def _open(fresh, lang: str | None = None):
    make, ws = fresh
    pid = create_project(ws, "people")["id"]
    stage_ingest(ws, pid, PEOPLE, None, "people.csv")
    at = make()
    at.query_params["project"] = str(pid)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/1_Data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, ws, pid


def test_the_panel_lists_personal_columns_and_a_button_hashes_one(fresh):
    at, ws, pid = _open(fresh)
    assert any(e.label == "Personal data: 2 columns" for e in at.expander)
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "LGPD" in text
    at.button(key="pii_hash_values_1_0").click().run()
    assert not at.exception, [e.value for e in at.exception]
    raw_id = datasets.latest_dataset(ws, pid, "raw")["id"]
    draft = datasets.load_recipe_draft(ws, pid, raw_id)
    assert draft.steps[-1].op == "hash_values" and draft.steps[-1].params == {"columns": ["email"]}
    shown = "\n".join(str(d.value) for d in at.dataframe)
    assert "ana@mail.com" not in shown.split("Personal data")[-1]  # the preview's email column is hashed


def test_the_panel_speaks_portuguese(fresh):
    at, _ws, _pid = _open(fresh, "pt")
    labels = [e.label for e in at.expander]
    assert "Dados pessoais: 2 colunas" in labels, labels
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "LGPD" in text and "Dados pessoais (e-mails" in text
    assert [b.label for b in at.button if b.key == "pii_hash_values_1_0"] == ["Aplicar hash"] or any(
        b.label.startswith("Hash") is False for b in at.button if b.key == "pii_hash_values_1_0"
    )

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
    previews = [d.value for d in at.dataframe if "email" in d.value.columns and "cpf" in d.value.columns]
    assert previews and all(len(v) == 32 for v in previews[-1]["email"])  # the preview shows the hashes


def test_the_panel_speaks_portuguese(fresh):
    at, _ws, _pid = _open(fresh, "pt")
    labels = [e.label for e in at.expander]
    assert "Dados pessoais: 2 colunas" in labels, labels
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "LGPD" in text and "Dados pessoais (e-mails" in text
    assert at.button(key="pii_hash_values_1_0").label == "Aplicar hash"
    assert at.button(key="pii_mask_values_1_0").label == "Mascarar"


def test_erasure_asks_for_confirmation_then_erases_and_says_where_from(fresh):
    at, ws, pid = _open(fresh)
    button = at.button(key=f"erase_button_{pid}")
    assert button.disabled  # nothing typed, nothing confirmed
    at.selectbox(key=f"erase_column_{pid}").select("email")
    at.text_input(key=f"erase_value_{pid}").input("ana@mail.com")
    at.run()
    assert at.button(key=f"erase_button_{pid}").disabled  # typed, not confirmed
    at.checkbox(key=f"erase_sure_{pid}").check().run()
    at.button(key=f"erase_button_{pid}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Erased: 5 rows from the data versions" in str(s.value) for s in at.success)
    raw = datasets.load_dataset(ws, datasets.latest_dataset(ws, pid, "raw")["id"])
    assert "ana@mail.com" not in raw["email"].tolist() and len(raw) == 15


def test_the_erasure_panel_speaks_portuguese(fresh):
    at, _ws, pid = _open(fresh, "pt")
    labels = [e.label for e in at.expander]
    assert "Eliminar os dados de uma pessoa (direito à eliminação)" in labels, labels
    assert at.button(key=f"erase_button_{pid}").label == "Eliminar esta pessoa"

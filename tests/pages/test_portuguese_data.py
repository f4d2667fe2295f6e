"""The Data, Problem and Features pages in Brazilian Portuguese (``?lang=pt``) on the demo workspace:
they render without an exception, say their titles, captions, buttons and errors in Portuguese (and
not in English), and a widget changed in Portuguese still works (its options are codes)."""

import pytest

from core.i18n import use_language

# AppTest calls a widget's format_func again in the test's own thread, where no session gives the
# language: interactions with translated options run inside ``use_language("pt")``.


def open_pt(make, page: str):
    at = make()
    at.query_params["lang"] = "pt"
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at) -> str:
    """Every piece of text the run put on the page, widget labels and options included."""
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "selectbox", "multiselect", "radio", "number_input", "text_input", "toggle", "slider"):
        for widget in getattr(at, kind):
            parts.append(str(widget.label))
            parts += [str(o) for o in getattr(widget, "options", [])]
    parts += [e.label for e in at.expander] + [t.label for t in at.tabs]
    return "\n".join(parts)


def test_the_data_page_speaks_portuguese(app):
    at = open_pt(app, "pages/1_Data.py")
    text = shown(at)
    for portuguese in (
        "Dados",
        "1 · Carregue uma tabela",
        "Usar um exemplo",
        "Carregar exemplo",
        "3 · Receita de limpeza",
        "Aplicar a receita e salvar a versão limpa",
        "Uma linha por coluna: o tipo, quanto falta",
        "Linhas duplicadas",
    ):
        assert portuguese in text, portuguese
    for english in ("Load a table", "Load sample", "Cleaning recipe", "Duplicate rows", "Apply recipe"):
        assert english not in text, english


def test_the_recipe_editor_works_in_portuguese(app):
    at = open_pt(app, "pages/1_Data.py")
    add = at.selectbox(key="add_op_1")
    assert add.label == "Adicionar um passo"
    assert "Descartar colunas" in add.options  # shown translated ...
    with use_language("pt"):
        add.select("impute").run()  # ... chosen by its code
        assert not at.exception
        fill = next(s for s in at.selectbox if s.label == "Preencher com")
        assert "a mediana" in fill.options and "the median" not in fill.options
        fill.select("constant").run()
    assert any(t.label == "Valor (para 'um valor que você digita')" for t in at.text_input)


def test_a_bad_recipe_file_is_refused_in_portuguese(app):
    at = open_pt(app, "pages/1_Data.py")
    with use_language("pt"):
        at.file_uploader(key="recipe_upload").set_value(("receita.json", b"{not json", "application/json")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("O arquivo de receita não é um JSON válido" in e for e in errors), errors
    assert not any("is not valid JSON" in e for e in errors)


def test_the_problem_page_speaks_portuguese(app):
    at = open_pt(app, "pages/2_Problem.py")
    text = shown(at)
    for portuguese in ("Problema", "Alvo — a coluna a prever", "Métrica de sucesso", "Salvar a definição do problema"):
        assert portuguese in text, portuguese
    assert "binária" in at.radio[0].options
    assert "Success metric" not in text and "Save problem definition" not in text
    assert any(
        "chutasse" in c.value and "a referência a superar" in c.value for c in at.caption
    )  # under the target's chart


def test_a_bad_target_is_explained_in_portuguese(fresh):
    import numpy as np
    import pandas as pd

    from core import pipeline
    from core.workspace.projects import create_project

    make, ws = fresh
    pid = create_project(ws, "ids")["id"]
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1300),
            "signup": pd.date_range("2024-01-01", periods=300, freq="D"),
            "spend": rng.normal(100, 30, 300).round(1),
        }
    )
    raw = pipeline.stage_ingest(ws, pid, table, None, "customers.csv")
    pipeline.stage_clean(ws, pid, raw["id"])
    at = make()
    at.query_params["project"] = str(pid)
    at.query_params["lang"] = "pt"
    at.run()
    at.switch_page("pages/2_Problem.py")
    at.run()
    with use_language("pt"):
        at.selectbox(key="target").select("customer_id").run()  # a row's key, not an outcome
        warnings = [w.value for w in at.warning]
        assert any("customer_id parece um ID, não um resultado: 300 dos seus 300 valores" in w for w in warnings), (
            warnings
        )
        assert not any("looks like an ID" in w for w in warnings)
        at.selectbox(key="target").select("signup").run()  # dates cannot be predicted
        assert not at.exception
        errors = [e.value for e in at.error]
        assert any("contém datas; uma data não pode ser prevista aqui" in e for e in errors), errors
        assert not any("holds dates" in e for e in errors)


def test_the_features_page_speaks_portuguese(app):
    at = open_pt(app, "pages/3_Features.py")
    text = shown(at)
    for portuguese in (
        "Features",
        "Escalar os números",
        "Salvar o conjunto de features",
        "Feature store",
        "O modelo vai ver",
    ):
        assert portuguese in text, portuguese
    assert "Scale numbers" not in text and "Save feature set" not in text
    scaling = at.selectbox(key="scaling")
    assert "padronização" in scaling.options
    with use_language("pt"):
        scaling.select("minmax").run()  # a code, whatever the language shows
        assert not at.exception and at.selectbox(key="scaling").value == "minmax"


@pytest.mark.parametrize("page", ["pages/1_Data.py", "pages/2_Problem.py", "pages/3_Features.py"])
def test_english_stays_the_default(app, page):
    at = app()
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert at.title[0].value.endswith(("Data", "Problem", "Features"))

"""The gaps a Brazilian tester found in session 24 (1024×768, presenter mode, the demo in Portuguese):
numbers in sentences with a decimal comma, costs in R$, no stray URL parameters, the guide's step
shown away from its page points to it. The demo runs in Portuguese, as a class runs it."""

import re

import pytest

from tests.pages import test_portuguese_everywhere as everywhere

# The Portuguese demo workspace and its AppTest factory, shared with the page-by-page language check.
demo_workspace_pt = everywhere.demo_workspace_pt
app_pt = everywhere.app_pt
open_in_portuguese = everywhere.open_in_portuguese

pytestmark = pytest.mark.slow  # the full demo in Portuguese, then pages

# An English decimal in a sentence: "0.84", "12.7 pts" (a Portuguese thousands point has three digits after it).
ENGLISH_DECIMAL = re.compile(r"(?<![\d.,])(?:0\.\d+|\d+\.\d{1,2}(?!\d))")


def sentences(at) -> list[str]:
    found = [str(e.value) for kind in ("caption", "markdown", "success", "info", "warning") for e in getattr(at, kind)]
    return found + [str(m.value) for m in at.metric]


@pytest.mark.parametrize(
    "page, expected",
    [
        ("pages/4_Train.py", r"ROC-AUC de 0,\d\d na validação cruzada, superando a referência"),
        ("pages/6_Registry.py", r"ROC-AUC 0,\d\d em dados inéditos, no mínimo 0,75 pedido"),
        ("pages/7_Deploy.py", r"em \d+,\d\d ms por linha em média"),
        ("pages/5_Explain.py", r"\d+,\d pts"),
    ],
)
def test_numbers_in_sentences_have_a_decimal_comma(app_pt, page, expected):
    at = open_in_portuguese(app_pt, page)
    assert not at.exception, [e.value for e in at.exception]
    texts = sentences(at)
    assert any(re.search(expected, t) for t in texts), texts[:20]
    english = [t for t in texts if ENGLISH_DECIMAL.search(re.sub(r"`[^`]*`", "", t))]
    assert not english, english[:10]
    assert not any("acima de a " in t for t in texts)


def test_the_model_card_counts_and_dates_the_brazilian_way(app_pt):
    at = open_in_portuguese(app_pt, "pages/6_Registry.py")
    texts = sentences(at)
    assert any(re.search(r"\d\.\d{3} linhas", t) for t in texts), texts
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", t) for t in texts), [t for t in texts if re.search(r"\d{4}-", t)]
    assert not any("\u2060" in t and re.search(r":\u2060\d", t) for t in texts)


def test_costs_in_reais_on_problem(app_pt):
    at = open_in_portuguese(app_pt, "pages/2_Problem.py")
    labels = [n.label for n in at.number_input]
    assert any("R$ por linha" in label for label in labels), labels
    assert not any("€" in label for label in labels)


def test_odd_url_values_leave_the_url(app_pt):
    at = app_pt()
    at.query_params["lang"] = "pt"
    at.query_params["present"] = "abc"
    at.query_params["guide"] = "../9"
    at.run()
    assert not at.exception
    assert "present" not in at.query_params and "guide" not in at.query_params
    at.query_params["present"] = "1"
    at.run()
    assert at.query_params.get("present") == "1"  # a valid value stays


def test_a_step_shown_away_from_its_page_points_to_it(app_pt):
    from core.guide import steps

    at = app_pt()
    at.query_params["lang"] = "pt"
    at.run()
    at.switch_page("pages/1_Data.py")
    at.query_params["guide"] = str(len(steps.STEPS))  # the last step is on Monitor
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    links = [link.proto.label for link in at.get("page_link")]
    assert any("resultado desta etapa está na página Monitoramento" in label for label in links), links
    assert not any("está nesta página" in str(s.value) for s in at.success)


def test_table_headers_from_our_keys_are_translated(app_pt):
    at = open_in_portuguese(app_pt, "app.py")
    headers = [list(map(str, df.value.columns)) for df in at.dataframe]
    assert ["projeto", "criado em", "feito a partir de", "situação"] in headers, headers
    at = open_in_portuguese(app_pt, "pages/7_Deploy.py")
    headers = [h for df in at.dataframe for h in map(str, df.value.columns)]
    assert {"momento", "id da requisição", "braço", "previsão", "latência (ms)"} <= set(headers), headers


def test_pickers_speak_portuguese(app_pt):
    at = open_in_portuguese(app_pt, "pages/2_Problem.py")
    assert at.selectbox(key="time_column").options[0] == "— nenhuma —"
    assert at.selectbox(key="group_churn").options[0] == "— nenhuma —"
    at = open_in_portuguese(app_pt, "pages/4_Train.py")
    assert at.multiselect(key="models").proto.placeholder == "Escolha uma ou mais"


def test_family_names_and_lineage_in_portuguese(app_pt, demo_workspace_pt):
    from core.data.lineage import get_lineage_graph
    from core.i18n import use_language
    from core.workspace.database import Workspace

    at = open_in_portuguese(app_pt, "pages/4_Train.py")
    assert any(re.match(r"Regressão logística fica em primeiro lugar", str(c.value)) for c in at.caption), [
        c.value for c in at.caption
    ][:5]
    with use_language("pt"):
        nodes, _edges = get_lineage_graph(Workspace(demo_workspace_pt[0]), 1)
    assert "dados limpos v1" in set(nodes["short"]), nodes["short"].tolist()
    assert any(re.search(r"\d\.\d{3} linhas", label) for label in nodes["label"]), nodes["label"].tolist()


def test_a_table_with_nothing_missing_gets_a_sentence_not_an_empty_chart(fresh):
    """A Brazilian teacher's own file: Latin-1, ';' delimiter, decimal comma, dd/mm/aaaa, no gaps."""
    make, _ws = fresh
    at = make()
    at.query_params["lang"] = "pt"
    at.run()
    at.text_input(key="new_project_name").input("Turma")
    at.button(key="create_project").click().run()
    at.switch_page("pages/1_Data.py")
    at.run()
    rows = [
        f"{i};{'São Paulo' if i % 2 else 'Goiânia'};{i * 1.5:.1f}".replace(".", ",") + f";0{1 + i % 9}/03/2024"
        for i in range(40)
    ]
    text = "aluno;cidade;nota;data\n" + "\n".join(rows) + "\n"
    at.file_uploader(key="upload").set_value(("notas.csv", text.encode("latin-1"), "text/csv")).run()
    at.button(key="save_upload").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Nenhuma coluna tem valores ausentes" in str(s.value) for s in at.success), [s.value for s in at.success]
    assert not [c for c in at.get("plotly_chart") if "Nenhuma coluna tem valores ausentes" in c.proto.spec]

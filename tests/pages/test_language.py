"""The language switch (issue 13): in the sidebar of every page, kept in the URL (``?lang=pt``), carried
by every link the frame draws; switching keeps the open project and what keyed widgets hold; a URL
value that names no language is ignored."""

from urllib.parse import parse_qs

import pytest

from core.workspace import projects

HOSTILE_LANGS = ["../../x", "pt\x00", "pt%00", "x" * 10_000, "", " ", "klingon", "<script>", ["pt", "en"][::-1]]


def _param(at, name):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _sidebar_text(at) -> str:
    parts = [e.value for e in at.sidebar.caption] + [e.value for e in at.sidebar.markdown]
    parts += [e.label for e in at.sidebar.text_input] + [e.label for e in at.sidebar.selectbox]
    parts += [e.label for e in at.sidebar.expander] + [link.proto.label for link in at.get("page_link")]
    return " | ".join(parts)


def _links(at) -> list[dict[str, list[str]]]:
    return [parse_qs(link.proto.query_string) for link in at.get("page_link")]


@pytest.fixture
def with_project(fresh):
    make, ws = fresh
    project = projects.create_project(ws, "Língua – Ana")

    def start():
        at = make()
        at.query_params["project"] = str(project["id"])
        return at

    return start, project


def test_switching_to_portuguese_and_back_keeps_project_url_and_keyed_widgets(with_project):
    start, project = with_project
    at = start()
    at.run()
    assert not at.exception, at.exception
    assert "Sign in: who are you?" in _sidebar_text(at)
    assert "lang" not in at.query_params  # English by default: English links look as they always did
    at.text_input(key="sign_in_name").input("Ana Souza").run()  # typed, not submitted

    at.segmented_control(key="language_switch").set_value("pt").run()
    assert not at.exception, at.exception
    assert _param(at, "lang") == "pt"
    assert _param(at, "project") == str(project["id"])
    assert at.selectbox(key="project_picker").value == project["id"]
    assert at.text_input(key="sign_in_name").value == "Ana Souza"
    sidebar = _sidebar_text(at)
    for portuguese in ("Entrar: quem é você?", "Seu nome", "Projeto", "Dados", "Treinar e comparar", "Monitoramento"):
        assert portuguese in sidebar, sidebar
    assert "Sign in: who are you?" not in sidebar
    # Every page link carries the language, the project and nothing hostile.
    links = _links(at)
    assert len(links) == 9
    assert all(q.get("lang") == ["pt"] and q.get("project") == [str(project["id"])] for q in links), links

    at.segmented_control(key="language_switch").set_value("en").run()
    assert not at.exception, at.exception
    assert _param(at, "lang") == "en"
    assert at.selectbox(key="project_picker").value == project["id"]
    assert at.text_input(key="sign_in_name").value == "Ana Souza"
    assert "Sign in: who are you?" in _sidebar_text(at)
    assert all(q.get("lang") == ["en"] for q in _links(at))


def test_a_shared_link_opens_in_its_language_and_links_keep_the_signed_in_person(with_project):
    start, project = with_project
    at = start()
    at.query_params["lang"] = "pt-BR"
    at.query_params["as"] = "Ana"
    at.query_params["role"] = "reviewer"
    at.run()
    assert not at.exception, at.exception
    assert _param(at, "lang") == "pt"  # written back as the code the studio uses
    assert at.segmented_control(key="language_switch").value == "pt"
    assert any("Você entrou como **Ana** (revisor)" in c.value for c in at.sidebar.caption)
    assert at.button(key="sign_out").label == "Sair"
    for query in _links(at):
        assert query.get("lang") == ["pt"] and query.get("as") == ["Ana"] and query.get("role") == ["reviewer"]


def test_clicking_the_chosen_language_again_keeps_it(with_project):
    start, _project = with_project
    at = start()
    at.query_params["lang"] = "pt"
    at.run()
    at.segmented_control(key="language_switch").set_value(None).run()
    assert not at.exception, at.exception
    assert _param(at, "lang") == "pt"
    assert at.segmented_control(key="language_switch").value == "pt"


@pytest.mark.parametrize("value", HOSTILE_LANGS, ids=lambda v: repr(v)[:20])
def test_a_hostile_language_in_the_url_is_ignored(with_project, value):
    start, project = with_project
    at = start()
    at.query_params["lang"] = value
    at.run()
    assert not at.exception, at.exception
    expected = "en"
    if isinstance(value, list):  # several values: the last one counts, as for every other parameter
        expected = "en" if value[-1] == "en" else "pt"
    assert at.segmented_control(key="language_switch").value == expected
    assert _param(at, "lang") == expected  # the URL is set back to a language the studio speaks
    assert at.selectbox(key="project_picker").value == project["id"]


@pytest.mark.parametrize("value", ["../../x", "pt\x00", "x" * 10_000])
def test_a_hostile_language_keeps_the_sessions_choice(with_project, value):
    start, _project = with_project
    at = start()
    at.query_params["lang"] = "pt"
    at.run()
    at.query_params["lang"] = value
    at.run()
    assert not at.exception, at.exception
    assert _param(at, "lang") == "pt"
    assert "Projeto" in _sidebar_text(at)


def test_home_without_a_project_in_portuguese(fresh):
    make, _ws = fresh
    at = make()
    at.query_params["lang"] = "pt"
    at.run()
    assert not at.exception, at.exception
    sidebar = _sidebar_text(at)
    assert "Início" in sidebar and "Implantação" in sidebar
    assert all(q.get("lang") == ["pt"] and "project" not in q for q in _links(at))


def test_a_page_without_a_project_says_so_in_portuguese(fresh):
    make, _ws = fresh
    at = make()
    at.query_params["lang"] = "pt"
    at.run()
    at.switch_page("pages/5_Explain.py")
    at.run()
    assert not at.exception, at.exception
    assert any("Nenhum projeto está aberto" in i.value for i in at.info), [i.value for i in at.info]
    go_home = [link for link in at.get("page_link") if link.proto.label == "Ir para o Início"]
    assert go_home and parse_qs(go_home[0].proto.query_string).get("lang") == ["pt"]

"""The Train page's "Where training runs" control (ui/cluster_panel.py): its choices in Portuguese, a
local cluster's sentence, a bad scheduler address refused in one line, and the choice kept when the
page switches section and back."""

import pytest

from core.i18n import use_language
from tests.pages.test_pages import open_page

pytestmark = pytest.mark.slow  # on the workspace where the full demo ran (conftest's demo_workspace)


def test_the_control_speaks_portuguese_and_keeps_the_choice(app):
    at = app()
    at.query_params["lang"] = "pt"
    at = open_page(at, "pages/4_Train.py")
    assert not at.exception
    assert "Onde o treino roda" in [e.label for e in at.expander]
    radio = at.radio(key="cluster_mode")
    assert radio.value == "this-machine"
    with use_language("pt"):
        assert "Um cluster local de processos trabalhadores" in radio.options
        radio.set_value("local-cluster").run()
        assert not at.exception
        captions = [c.value for c in at.caption]
        assert any("rodam como tarefas em um cluster local de 2 processos trabalhadores" in c for c in captions), (
            captions
        )
        assert at.number_input(key="cluster_workers").value == 2
        # Another section and back: the choice is still there.
        at.radio(key="train_section").set_value("runs").run()
        at.radio(key="train_section").set_value("leaderboard").run()
        assert at.radio(key="cluster_mode").value == "local-cluster"


def test_a_bad_address_is_one_clear_line(app):
    at = open_page(app(), "pages/4_Train.py")
    at.radio(key="cluster_mode").set_value("address").run()
    assert any("Type the scheduler's address" in i.value for i in at.info)
    at.text_input(key="cluster_address").input("http//nowhere").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "tcp:" in errors[0] and "\n" not in errors[0]
    at.text_input(key="cluster_address").input("tcp://10.1.2.3:8786").run()
    assert not at.error
    assert any("10.1.2.3" in c.value for c in at.caption)

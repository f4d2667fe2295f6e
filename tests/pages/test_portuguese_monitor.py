"""Monitor in Brazilian Portuguese (``?lang=pt``) on the demo workspace: the page renders, its title,
a chart's title and caption, a button and an error for bad input are in Portuguese with their English
gone, and a widget changed in Portuguese still works."""

import json

from core.i18n import use_language
from tests.pages.test_pages import open_page


def _pt(app):
    at = app()
    at.query_params["lang"] = "pt"
    return open_page(at, "pages/8_Monitor.py")


def _titles(at) -> list[str]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [s["layout"]["title"]["text"] for s in specs if "title" in s["layout"]]


def test_monitor_speaks_portuguese(app):
    at = _pt(app)
    assert not at.exception, at.exception
    assert at.title[0].value.endswith("Monitoramento")
    # The headline: the demo retrained, and the challenger waits to be promoted.
    assert "Retreinado: o desafiante v2 está pronto." in at.info[0].value
    captions = " ".join(c.value for c in at.caption)
    assert "PSI abaixo de 0,1 quer dizer sem desvio" in captions
    assert "PSI below 0.1 means no drift" not in captions
    assert "Um modelo distingue" in captions and "A model tells window" not in captions
    titles = _titles(at)
    assert "Desvio multivariado (ROC-AUC)" in titles and "Multivariate drift (ROC-AUC)" not in titles
    assert "Desvio de dados por variável e janela (PSI)" in titles
    assert at.button(key="retrain").label == "Retreinar com dados novos"
    assert at.button(key="simulate").label == "Simular tráfego e monitorar"
    assert at.selectbox(key="scenario").label == "Cenário de desvio de dados (data drift)"
    # The options stay codes: the scenario chosen is the same whatever the language.
    assert at.selectbox(key="scenario").value == "none"


def test_a_widget_changed_in_portuguese_works_and_bad_input_gets_a_portuguese_error(app):
    at = _pt(app)
    features = at.selectbox(key="drift_feature").options
    assert len(features) > 1
    # AppTest formats the widgets' options again in the test's own thread, outside the session: it
    # speaks Portuguese too, as the session does, so the options it sends back are the ones shown.
    with use_language("pt"):
        at.selectbox(key="drift_feature").set_value(features[1]).run()
        assert not at.exception, at.exception
        assert f"Desvio de {features[1]} ao longo do tempo" in _titles(at)
        assert at.selectbox(key="scenario").value == "none"  # the code, kept across the rerun
        at.button(key="alert_rule_add").click().run()  # a rule without a name
        errors = " ".join(e.value for e in at.error)
    assert "Dê um nome à nova regra" in errors and "Give the new rule a name" not in errors

"""Registry and Deploy in Brazilian Portuguese (``?lang=pt``) on a copy of the demo workspace: no
exception, the title, a caption, a button and an error for bad input in Portuguese (their English
absent), and a widget changed in Portuguese still works.

AppTest calls a widget's ``format_func`` in the test's own thread, outside the script run, where the
session's language is not known: the tests speak Portuguese there too (``use_language``), as the
browser's session would."""

import contextlib
import shutil

import pytest

from core.i18n import use_language
from core.registry import approvals
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory


@pytest.fixture
def open_pt(demo_workspace, monkeypatch, tmp_path):
    """open_pt(page, **query) -> an AppTest on ``page`` in Portuguese, on a copy of the demo."""
    stack = contextlib.ExitStack()
    path = tmp_path / "ws"
    shutil.copytree(demo_workspace[0], path)
    make = project_app_factory(path, monkeypatch)

    def open_page(page: str, **query: str):
        stack.enter_context(use_language("pt"))
        at = make()
        at.query_params["lang"] = "pt"
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    with stack:
        yield open_page, Workspace(path)


def _all_text(at) -> str:
    parts = [e.value for kind in ("title", "subheader", "caption", "markdown", "info", "success", "warning", "error")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [b.label for b in at.button] + [r.label for r in at.radio] + [s.label for s in at.selectbox]
    return "\n".join(str(p) for p in parts)


def test_registry_in_portuguese(open_pt):
    open_page, ws = open_pt
    at = open_page("pages/6_Registry.py", **{"as": "Ana", "role": "data-scientist"})
    text = _all_text(at)
    assert "Registro" in at.title[0].value
    for portuguese in (
        "Registro de auditoria",
        "Ciclo de vida",
        "Cartão do modelo",
        "Aprovação: promoção para produção",
    ):
        assert portuguese in text
    for english in ("Audit log", "Lifecycle", "Sign-off: promotion to production", "Which model versions exist"):
        assert english not in text
    assert at.button(key="promote").label == "Promover o desafiante a campeão"
    assert any("Cada mudança neste projeto" in c.value for c in at.caption)  # the audit table's sentence
    # The audit sentences are rendered in Portuguese from the stored English rows.
    audit = next(df.value for df in at.dataframe if {"who", "what", "action"} <= set(df.value.columns))
    assert audit["what"].str.contains("registrado a partir da execução").any()
    assert not audit["what"].str.contains("registered from run").any()
    stored = ws.query_one("SELECT detail_json FROM audit_log WHERE action = 'model.registered'")
    assert "registrado" not in stored["detail_json"]

    # Bad input (an empty reason): one clear message in Portuguese.
    at.text_area(key="request_reason").set_value("   ")
    at.button(key="request_submit").click().run()
    errors = [e.value for e in at.error]
    assert any("não pode ficar vazio" in e for e in errors), errors
    assert not any("must not be empty" in e for e in errors)

    # The same form filled in Portuguese files the request.
    at.text_area(key="request_reason").set_value("recall melhor nos dados recentes")
    at.button(key="request_submit").click().run()
    assert not at.exception
    assert any("Pedido de promoção" in s.value for s in at.success), [s.value for s in at.success]
    assert ws.query_one("SELECT status FROM promotion_requests ORDER BY id DESC")["status"] == approvals.PENDING


def test_deploy_in_portuguese(open_pt):
    open_page, ws = open_pt
    approvals.set_policy(ws, 1, approvals.RegistryPolicy(people_need_approval=False))
    at = open_page("pages/7_Deploy.py")
    text = _all_text(at)
    assert "Implantação" in at.title[0].value
    assert "Estratégia" in text and "Enviar requisições" in text
    assert "Send requests" not in text and "How traffic reaches the models" not in text
    strategy = at.radio(key="strategy")
    assert strategy.label == "Como o tráfego chega aos modelos"
    assert "implantação canário" in strategy.options and "implantação sombra" in strategy.options
    assert at.button(key="send_rows").label == "Enviar linhas ao endpoint"

    # Bad input: a ramp that is not percentages.
    at.radio(key="rollout_strategy").set_value("canary").run()
    at.text_input(key="rollout_steps").set_value("cinco").run()
    at.button(key="run_rollout").click().run()
    errors = [e.value for e in at.error]
    assert any("A rampa deve ser de porcentagens" in e for e in errors), errors
    assert not any("The ramp must be" in e for e in errors)

    # Changing the strategy in Portuguese keeps the stored code: deploy as canary.
    at.radio(key="strategy").set_value("canary").run()
    at.button(key="deploy").click().run()
    assert not at.exception
    assert any("Implantado" in s.value for s in at.success), [s.value for s in at.success]
    live = ws.query_one("SELECT routing_json FROM deployments ORDER BY id DESC")
    assert '"canary"' in live["routing_json"]

"""Registry's model card is built once per version, content and language (ui.card_panel), not on
every rerun: the key's digest (``card_state``) stays put while nothing the card reads changes, and
moves when an alias, a deployment or the traffic does."""

import shutil

import pytest

from core import registry
from core.i18n import use_language
from core.workspace.database import Workspace


@pytest.fixture
def ws(demo_workspace, tmp_path):
    """A copy of the demo's workspace (the session's own must not change)."""
    path, _summary = demo_workspace
    copy = tmp_path / "ws"
    shutil.copytree(path, copy)
    return Workspace(copy)


def test_the_card_is_built_once_until_what_it_reads_changes(ws, monkeypatch):
    import ui.card_panel as panel

    built = []
    real = panel.build_model_card
    monkeypatch.setattr(panel, "build_model_card", lambda w, v: built.append(v) or real(w, v))
    champion = registry.get_alias_version(ws, 1, registry.get_model_name(ws, 1), "champion")
    version = int(champion["id"])
    first = panel.cached_model_card(ws, 1, version)
    assert panel.cached_model_card(ws, 1, version) is first and built == [version]  # a rerun: no rebuild
    with use_language("pt"):
        in_portuguese = panel.cached_model_card(ws, 1, version)
    assert in_portuguese is not first and len(built) == 2  # one per language
    state = panel.card_state(ws, 1, version)
    with ws.transaction() as conn:
        conn.execute("UPDATE deployments SET active = 0 WHERE project_id = 1")
    assert panel.card_state(ws, 1, version) != state  # "serving production now" no longer holds
    after = panel.cached_model_card(ws, 1, version)
    assert after is not first and len(built) == 3
    assert after.summary != first.summary or after.sections != first.sections


def test_an_alias_move_and_new_traffic_change_the_key(ws):
    from core.reports.card_state import card_state

    name = registry.get_model_name(ws, 1)
    versions = registry.get_versions_df(ws, 1, name)
    ids = [int(i) for i in versions["id"]]
    state = card_state(ws, 1, ids[0])
    assert card_state(ws, 1, ids[0]) == state  # nothing changed: the same key
    registry.set_alias(ws, 1, name, "challenger", ids[0], reason="test")
    moved = card_state(ws, 1, ids[0])
    assert moved != state
    with ws.transaction() as conn:
        conn.execute("DELETE FROM predictions WHERE id = (SELECT MAX(id) FROM predictions)")
    assert card_state(ws, 1, ids[0]) != moved

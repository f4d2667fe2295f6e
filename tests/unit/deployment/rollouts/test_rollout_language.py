"""A canary's verdict is shown in the reader's language while the audit log keeps it in English."""

import json

from core.deployment.rollouts.canary import describe_rollback
from core.deployment.rollouts.guardrails import describe_check
from core.deployment.rollouts.records import get_events_df
from core.i18n import use_language
from core.stages.rollout import stage_rollout
from core.workspace.database import Workspace


def test_canary_verdict_in_portuguese_on_display_while_the_audit_entry_stays_english(rollout_copy):
    ws = Workspace(rollout_copy)
    with use_language("pt"):
        summary = stage_rollout(ws, 1, "canary", scenario="bad_challenger", requests=27 * 40, seed=3)
    assert summary["verdict"] == "rolled back"
    shown = summary["sentence"]
    assert "Revertido automaticamente" in shown and "distribuição dos scores" in shown, shown
    assert "Rolled back" not in shown and "The challenger" not in shown, shown
    rows = ws.query("SELECT detail_json FROM audit_log WHERE action = 'rollout.canary_step' ORDER BY id")
    stored = json.loads(rows[-1]["detail_json"])
    assert stored["sentence"].startswith("Rolled back automatically at "), stored["sentence"]
    assert "score distribution guardrail" in stored["sentence"]
    failed = [c for c in stored["checks"] if not c["holds"]]
    assert failed and all(c["sentence"].startswith("The challenger") for c in failed)
    # Said again from the stored numbers: English as stored, Portuguese for a Portuguese reader.
    evidence = get_events_df(ws, summary["deployment_id"])["evidence"].iloc[0]
    assert describe_rollback(evidence["share"], failed) == stored["sentence"]
    with use_language("pt"):
        assert describe_rollback(evidence["share"], failed) == shown
        assert describe_check(failed[0]) != failed[0]["sentence"]
    assert describe_check(failed[0]) == failed[0]["sentence"]


def test_a_promoting_canary_in_portuguese_gives_the_audit_an_english_reason(rollout_copy):
    ws = Workspace(rollout_copy)
    with use_language("pt"):
        summary = stage_rollout(ws, 1, "canary", requests=27 * 40, seed=3)
    assert summary["verdict"] == "promote", summary["sentence"]
    assert summary["sentence"].startswith("O desafiante passou em todas as salvaguardas"), summary["sentence"]
    rows = ws.query("SELECT detail_json FROM audit_log WHERE detail_json LIKE '%canary completed%'")
    assert rows, "the promotion's reason names the canary"
    reason = json.loads(rows[-1]["detail_json"])["reason"]
    assert "canary completed: The challenger passed every guardrail" in reason, reason
    assert "desafiante" not in reason

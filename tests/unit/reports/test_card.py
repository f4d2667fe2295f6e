"""The model card of a registered version, on the trained sample project ("roll": champion v1 = the
leaderboard's best run, challenger v2 = the runner-up), and the `card` command."""

import io
import json

import pytest

from core import registry
from core.cli import main
from core.documents import document_text, render_html, render_pdf
from core.problem.definition import ProblemConfig
from core.problem.store import set_problem
from core.reports.card import build_model_card, card_file_name, render_card, resolve_card_version
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError

HOSTILE = "<script>alert(1)</script> **x** [y](https://evil.example)"


@pytest.fixture
def ws(rollout_copy):
    return Workspace(rollout_copy)


def _champion(ws):
    return resolve_card_version(ws, 1)


def _section(doc, heading):
    return next(s for s in doc.sections if s.heading == heading)


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_card_has_the_verdict_and_every_gate_check(ws):
    version = _champion(ws)
    gate = json.loads(version["lineage_json"])["gate"]
    doc = build_model_card(ws, version["id"])
    assert doc.title == f"Model card: {registry.version_label(version)}"
    assert doc.verdict.startswith("GO: ROC-AUC") if gate["passed"] else doc.verdict.startswith("NO-GO")
    assert "checks passed" in doc.verdict
    checks = _section(doc, "The gate: good enough?").tables[0]
    assert [row[2] for row in checks.rows] == [c["sentence"] for c in gate["checks"]]
    assert {row[1] for row in checks.rows} <= {"passed", "FAILED", "for information"}
    assert any("It is the champion" in p for p in doc.summary)


def test_card_lists_the_leaderboard_metrics_lineage_and_versions(ws):
    doc = build_model_card(ws, _champion(ws)["id"])
    board = _section(doc, "Leaderboard").tables[0]
    assert sum("← this model" in row[1] for row in board.rows) == 1
    assert any(row[1] == "Baseline" for row in board.rows)
    metrics = _section(doc, "Metrics and how sure they are").tables[0]
    assert metrics.rows[0][0] == "ROC-AUC" and "folds from" in metrics.rows[0][2]
    lineage = [row[0] for row in _section(doc, "Lineage").tables[0].rows]
    assert lineage[:3] == ["raw dataset", "cleaning recipe", "cleaned dataset"] and "model version" in lineage
    libraries = {row[0] for row in _section(doc, "Library versions").tables[0].rows}
    assert {"python", "scikit-learn", "pandas", "shap", "streamlit"} <= libraries
    text = document_text(doc)
    assert "roc_auc" not in text and "e+" not in text and "e-0" not in text  # names and numbers people read


def test_drivers_come_from_the_saved_explanation_or_say_not_computed(ws):
    version = _champion(ws)
    drivers = _section(build_model_card(ws, version["id"]), "Main drivers")
    assert drivers.tables and drivers.tables[0].rows[0][1].endswith("%")
    with ws.transaction() as conn:
        conn.execute("DELETE FROM explanations")
    doc = build_model_card(ws, version["id"])
    assert "Not computed yet" in _section(doc, "Main drivers").paragraphs[0]
    assert any("not computed yet" in p for p in doc.summary)


def test_saved_robustness_is_shown_and_never_computed_by_the_card(ws):
    from core.stages.evaluate import stage_robustness

    version = _champion(ws)
    assert "Not computed yet" in _section(build_model_card(ws, version["id"]), "Robustness").paragraphs[0]
    assert ws.query_one("SELECT id FROM evaluation_checks") is None  # the card computed nothing
    stage_robustness(ws, version["run_id"])
    table = _section(build_model_card(ws, version["id"]), "Robustness").tables[0]
    assert table.rows[0][2] == "" and "noise" in table.caption  # the clean score first, then each change


def test_default_version_is_the_champion_else_the_newest(ws):
    champion = _champion(ws)
    assert champion["version"] == 1
    with ws.transaction() as conn:
        conn.execute("DELETE FROM aliases WHERE alias = 'champion'")
    assert resolve_card_version(ws, 1)["version"] == 2
    assert resolve_card_version(ws, 1, 1)["version"] == 1
    with pytest.raises(NotFoundError, match="version 7 does not exist; its versions are 1, 2"):
        resolve_card_version(ws, 1, 7)


def test_the_card_keeps_the_problem_the_version_was_registered_for(ws):
    """Going back and changing one's mind: the Problem page's new target does not rewrite an old card."""
    version = _champion(ws)
    set_problem(ws, 1, ProblemConfig(target="x1", task="regression", metric="r2", threshold=0.5))
    doc = build_model_card(ws, version["id"])
    assert "predicts 'y' as a yes/no answer" in doc.summary[0]


def test_hostile_user_text_is_escaped_in_html_and_drawn_as_text_in_pdf(ws):
    with ws.transaction() as conn:
        conn.execute("UPDATE projects SET name = ?, source = ? WHERE id = 1", (HOSTILE, HOSTILE))
    doc = build_model_card(ws, _champion(ws)["id"])
    page = render_html(doc)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; **x**" in page
    assert "<a " not in page
    assert HOSTILE in _pdf_text(render_pdf(doc))


def test_pdf_opens_and_contains_the_verdict(ws):
    doc = build_model_card(ws, _champion(ws)["id"])
    data = render_card(doc, "pdf")
    assert data.startswith(b"%PDF-")
    assert doc.verdict in _pdf_text(data)
    with pytest.raises(ConfigError, match="one of html, pdf"):
        render_card(doc, "docx")


def test_card_file_name_is_safe():
    assert card_file_name({"model_name": "churn / <v>", "version": 3}, "pdf") == "model-card-churn-v-v3.pdf"


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_the_card_as_pdf_and_html(capsys, rollout_copy, tmp_path):
    out_pdf = tmp_path / "card.pdf"
    code, out, err = _cli(
        capsys, "card", "--project", "roll", "--workspace", str(rollout_copy), "--format", "pdf", "--out", str(out_pdf)
    )
    assert code == 0, err
    assert out_pdf.read_bytes().startswith(b"%PDF-") and "roll v1" in out
    out_html = tmp_path / "card.html"
    code, out, err = _cli(
        capsys, "card", "--project", "1", "--version", "2", "--workspace", str(rollout_copy),
        "--format", "html", "--out", str(out_html), "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["version"] == 2 and result["format"] == "html" and result["bytes"] == out_html.stat().st_size
    assert result["verdict"] in out_html.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--project", "nope"], "Project 'nope' does not exist"),
        (["--project", "roll", "--version", "9"], "version 9 does not exist"),
        (
            ["--project", "roll", "--model", "other"],
            "Model 'other' does not exist in this project; its models are roll",
        ),
    ],
    ids=["unknown project", "unknown version", "unknown model"],
)
def test_cli_errors_are_one_line_and_exit_2(capsys, rollout_copy, tmp_path, args, message):
    out_file = tmp_path / "card.pdf"
    argv = ["card", *args, "--workspace", str(rollout_copy), "--format", "pdf", "--out", str(out_file)]
    code, _, err = _cli(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert not out_file.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "docx"], "argument --format: invalid choice: 'docx'"),
        (["--version", "two"], "argument --version"),
        (["--version", "99999999999999999999999"], "'99999999999999999999999' is not a version number"),
        (["--version", "\u0663"], "is not a version number"),  # int() reads the Arabic-Indic digit 3
    ],
    ids=["bad format", "version not a number", "version beyond int64", "version not ASCII digits"],
)
def test_cli_refuses_bad_arguments_in_one_line(capsys, rollout_copy, tmp_path, args, message):
    argv = [
        "card",
        "--project",
        "roll",
        "--workspace",
        str(rollout_copy),
        "--format",
        "pdf",
        "--out",
        str(tmp_path / "c"),
    ]
    with pytest.raises(SystemExit) as raised:
        main(argv + args)  # argparse: the last --format wins
    err = capsys.readouterr().err
    assert raised.value.code == 2 and err.startswith("error: ") and message in err
    assert err.count("\n") == 1


def _set_sensitive_column(ws, version, column):
    lineage = json.loads(version["lineage_json"])
    lineage["problem"]["sensitive_column"] = column
    with ws.transaction() as conn:
        conn.execute("UPDATE model_versions SET lineage_json = ? WHERE id = ?", (json.dumps(lineage), version["id"]))


def test_fairness_by_group_of_the_sensitive_column_from_the_saved_holdout(ws):
    version = _champion(ws)
    assert "No sensitive column" in _section(build_model_card(ws, version["id"]), "Fairness by group").paragraphs[0]
    _set_sensitive_column(ws, version, "color")
    table = _section(build_model_card(ws, version["id"]), "Fairness by group").tables[0]
    assert {row[0] for row in table.rows} == {"red", "green", "blue"}
    assert table.columns[:3] == ("group", "rows", "flagged rate") and all(row[2].endswith("%") for row in table.rows)
    assert "'red'" in table.caption


def test_fairness_on_a_column_the_holdout_lacks_says_so(ws):
    version = _champion(ws)
    _set_sensitive_column(ws, version, "gone")
    section = _section(build_model_card(ws, version["id"]), "Fairness by group")
    assert not section.tables and "could not be compared" in section.paragraphs[-1]


def test_a_runner_up_registered_with_a_reason_is_not_called_go(ws):
    challenger = resolve_card_version(ws, 1, 2)
    doc = build_model_card(ws, challenger["id"])
    assert doc.verdict.startswith("NOT GATED: the gate judged another model")
    warnings = _section(doc, "Limitations and warnings").bullets
    assert "Gate: the gate checked another model of its experiment, not this one." in warnings
    assert "Registered despite the gate, with the reason: test" in warnings
    assert any("It is the challenger" in p for p in doc.summary)


def test_the_saved_comparison_with_the_runner_up_gives_the_interval(ws):
    from core.stages.evaluate import stage_compare_top_two

    version = _champion(ws)
    before = _section(build_model_card(ws, version["id"]), "Metrics and how sure they are").paragraphs[0]
    assert "not computed yet" in before
    stage_compare_top_two(ws, 1, json.loads(version["lineage_json"])["experiment_id"])
    after = _section(build_model_card(ws, version["id"]), "Metrics and how sure they are").paragraphs[0]
    assert after.startswith("Against the runner-up: ") and "95% interval" in after


@pytest.mark.parametrize(
    "fmt, out, named",
    [("html", "card.pdf", "'.pdf'"), ("pdf", "card.HTML", "'.HTML'"), ("pdf", "card.htm", "'.htm'")],
)
def test_cli_refuses_an_out_file_whose_extension_contradicts_the_format(
    capsys, rollout_copy, tmp_path, fmt, out, named
):
    out_file = tmp_path / out
    argv = ["card", "--project", "roll", "--workspace", str(rollout_copy), "--format", fmt, "--out", str(out_file)]
    code, _, err = _cli(capsys, *argv)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert named in err and f"--format is {fmt}" in err
    assert not out_file.exists()


def test_gate_sentences_name_the_champion_at_the_time_of_the_gate(ws):
    """v2's card, once v2 is champion, called v1 "the current champion": the gate's words, read later."""
    from core.evaluation.gate import _champion_check

    version = _champion(ws)
    lineage = json.loads(version["lineage_json"])
    check = _champion_check("roc_auc", 0.9, {"name": "roll v0", "value": 0.85})
    assert "the current champion (roll v0)" in check["sentence"]
    lineage["gate"]["checks"].append(check)
    with ws.transaction() as conn:
        conn.execute("UPDATE model_versions SET lineage_json = ? WHERE id = ?", (json.dumps(lineage), version["id"]))
    doc = build_model_card(ws, version["id"])
    text = document_text(doc)
    assert "current champion" not in text.lower()
    assert "the champion at the time of the gate (roll v0) scores 0.85" in text
    row = _section(doc, "The gate: good enough?").tables[0].rows[-1]
    assert row[0] == "At least as good as the champion at the time of the gate"


def test_lineage_names_the_model_without_its_internal_key(ws):
    version = _champion(ws)
    run = ws.query_one("SELECT model_name, model_key FROM runs WHERE id = ?", (version["run_id"],))
    rows = _section(build_model_card(ws, version["id"]), "Lineage").tables[0].rows
    assert next(r for r in rows if r[0] == "run")[2] == run["model_name"]
    assert run["model_key"] not in document_text(build_model_card(ws, version["id"]))

"""The Explain page: probability points with the log-odds one toggle away, a row picked by its ID
through search, a row typed in by hand, and a what-if that moves the prediction."""

import json
import re
import shutil

import pytest

from tests.pages.conftest import project_app_factory
from tests.pages.test_pages import no_errors, open_page

pytestmark = pytest.mark.slow  # on the workspace where the full demo ran (conftest's demo_workspace)

PAGE = "pages/5_Explain.py"


def run_id(at) -> str:
    return str(at.selectbox(key=next(k for k in _keys(at) if k.startswith("explain_run_"))).value)


def _keys(at):
    return [w.key for w in at.selectbox if w.key]


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def waterfall_sentence(at) -> str:
    return next(c for c in captions(at) if c.startswith(("The model's estimate of", "For this row the")))


def percent(text: str, after: str) -> float:
    return float(re.search(re.escape(after) + r" (\d+(?:\.\d)?)%", text).group(1))


def test_probability_by_default_and_log_odds_one_toggle_away(app):
    at = open_page(app(), PAGE)
    no_errors(at)
    sentence = waterfall_sentence(at)
    assert sentence.startswith("The model's estimate of churn = Yes goes from ")
    assert "(an average row) to " in sentence and "pts" in sentence
    assert any("percentage points of the probability" in c for c in captions(at))
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    waterfall = next(s for s in specs if s["data"][0].get("type") == "waterfall")
    assert all(t.endswith(("%", " pts")) for t in waterfall["data"][0]["text"])
    at.radio(key=f"explain_space_{run_id(at)}").set_value("the model's own scale").run()
    no_errors(at)
    assert waterfall_sentence(at).startswith("For this row the log-odds of churn = Yes starts from the average ")


def test_pick_a_row_by_its_id_through_search(app):
    at = open_page(app(), PAGE)
    rid = run_id(at)
    pick = at.selectbox(key=f"explain_pick_{rid}")
    wanted = pick.options[5]  # a label: "customer_id 1234-ABCDE: contract …"
    customer = wanted.split(":")[0].removeprefix("customer_id ")
    at.text_input(key=f"explain_search_{rid}").set_value(customer.lower()).run()
    no_errors(at)
    pick = at.selectbox(key=f"explain_pick_{rid}")
    assert pick.options == [wanted]
    assert pick.label.startswith("Row to explain (1 of ")
    assert any(f"Change some values of customer_id {customer}" in c for c in captions(at))
    at.text_input(key=f"explain_search_{rid}").set_value("no such customer zzz").run()
    no_errors(at)
    assert any("No row's summary contains" in i.value for i in at.info)


def test_a_row_typed_in_by_hand_is_explained(app):
    at = open_page(app(), PAGE)
    rid = run_id(at)
    at.radio(key=f"explain_source_{rid}").set_value("A row typed in by hand").run()
    no_errors(at)
    prefix = f"explain_typed_{rid}"
    at.selectbox(key=f"{prefix}_contract").set_value("Month-to-month")
    at.number_input(key=f"{prefix}_tenure_months").set_value(2)
    at.button(key=f"FormSubmitter:{prefix}-Explain this row").click().run()
    no_errors(at)
    first = percent(waterfall_sentence(at), "to")
    at.selectbox(key=f"{prefix}_contract").set_value("Two year")
    at.number_input(key=f"{prefix}_tenure_months").set_value(60)
    at.button(key=f"FormSubmitter:{prefix}-Explain this row").click().run()
    no_errors(at)
    assert percent(waterfall_sentence(at), "to") < first  # a long two-year customer churns less
    assert any(c.startswith("Change some values of the row typed in") for c in captions(at))


def test_what_if_change_moves_the_prediction(app):
    at = open_page(app(), PAGE)
    assert at.text[0].value.startswith("Nothing was changed yet")
    whatif = next(
        k for k in (w.key for w in at.selectbox) if k and k.startswith("explain_whatif_") and k.endswith("_contract")
    )
    prefix = whatif.removesuffix("_contract")
    current = at.selectbox(key=whatif).value
    other = "Two year" if current != "Two year" else "Month-to-month"
    at.selectbox(key=whatif).set_value(other)
    at.button(key=f"FormSubmitter:{prefix}-Show the new prediction").click().run()
    no_errors(at)
    sentence = at.text[0].value
    match = re.match(
        r"After changing contract from .+? to (.+?), the probability of churn = Yes moves from "
        r"(\d+(?:\.\d+)?)% to (\d+(?:\.\d+)?)% \(",
        sentence,
    )
    assert match, sentence
    assert match.group(1) == other
    before, after = map(float, match.groups()[1:])
    assert after != before
    assert (after < before) == (other == "Two year")
    assert "In the model's own scale (log-odds), contract's effect changed by " in sentence


def test_the_search_hint_comes_from_the_projects_data(app):
    at = open_page(app(), PAGE)
    hint = at.text_input(key=f"explain_search_{run_id(at)}").placeholder
    assert hint.startswith("e.g. a customer_id or a value such as ")
    assert "month-to-month" not in hint  # the demo writes "Month-to-month"; nothing invented


def test_after_the_target_changed_explain_says_its_models_predict_the_old_one(
    app, demo_workspace, tmp_path, monkeypatch
):
    from core.problem.definition import ProblemConfig
    from core.problem.store import set_problem
    from core.workspace.database import Workspace

    at = open_page(app(), PAGE)
    assert not [w.value for w in at.warning if "problem now predicts" in w.value]
    path, _ = demo_workspace
    shutil.copytree(path, tmp_path / "ws")
    set_problem(Workspace(tmp_path / "ws"), 1, ProblemConfig(target="partner", task="binary", positive_class="Yes"))
    at = open_page(project_app_factory(tmp_path / "ws", monkeypatch)(), PAGE)
    no_errors(at)
    notes = [w.value for w in at.warning if "problem now predicts" in w.value]
    assert notes and notes[0].startswith(
        "The project's problem now predicts 'partner', but these models were trained to predict 'churn'"
    ), [w.value for w in at.warning]

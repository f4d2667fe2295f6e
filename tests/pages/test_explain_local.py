"""Explain page, one row: the counterfactual panel and SHAP beside the local surrogate; the letter panel
for a served prediction (preview, two downloads) and a clear message for an unknown request id."""

import json

import pytest

pytestmark = pytest.mark.slow  # on the workspace where the full demo ran (conftest's demo_workspace)


def explain_page(app):
    at = app()
    at.run()
    at.switch_page("pages/5_Explain.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _ask(at, suffix: str) -> None:
    """Press the panel's button ending with ``suffix`` ("_find": counterfactuals, "_compare": surrogate)."""
    next(b for b in at.button if (b.key or "").startswith("cf_") and b.key.endswith(suffix)).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_counterfactual_and_second_method_for_the_selected_row(app):
    at = explain_page(app)
    headings = [s.value for s in at.subheader]
    assert "What would change this prediction" in headings
    assert "A second opinion: SHAP beside a local surrogate" in headings
    # Nothing is searched nor fitted until asked: a rerun of the page costs no seconds of search.
    assert not any("each changed row was predicted again" in m.value for m in at.markdown)
    assert not any(c.value.startswith("Both in effect") for c in at.caption)
    labels = [b.label for b in at.button]
    assert "Find what would change the decision" in labels and "Compare with a local surrogate" in labels
    _ask(at, "_find")
    _ask(at, "_compare")
    at.run()  # asked once: the results stay on a later rerun (from the cache)
    text = [m.value for m in at.markdown]
    assert any(t.startswith("The model says '") and "each changed row was predicted again" in t for t in text)
    assert any(t.startswith("\\- Had ") or t.startswith("- Had ") for t in text), text
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    methods = [s for s in specs if [d.get("name") for d in s["data"]] == ["SHAP", "local surrogate"]]
    assert len(methods) == 1
    captions = " ".join(c.value for c in at.caption)
    assert "strongest feature" in captions and "local surrogate is a LIME-style straight line" in captions
    assert not at.error, [e.value for e in at.error]

    allowed = at.multiselect(key=next(k for k in _keys(at) if k.endswith("_actionable")))
    assert "tenure_months" in allowed.value and "gender" in allowed.options  # gender, age stay unless ticked
    assert "gender" not in allowed.value and "senior_citizen" not in allowed.value
    assert any(c.value.startswith("Kept as they are unless you add them: ") and "gender" in c.value for c in at.caption)
    allowed.set_value([]).run()
    assert not at.exception
    _ask(at, "_find")  # other settings: asked again
    assert any("tick at least one feature" in m.value for m in at.markdown)

    pick = next(w for w in at.selectbox if (w.key or "").startswith("explain_pick_"))
    customer = pick.options[5].split(":")[0].removeprefix("customer_id ")
    search = next(w for w in at.text_input if (w.key or "").startswith("explain_search_"))
    search.set_value(customer).run()  # another row: the panels follow it
    assert not at.exception and not at.error
    _ask(at, "_compare")
    assert any(c.value.startswith("Both in effect") and customer in c.value for c in at.caption)

    source = next(w for w in at.radio if (w.key or "").startswith("explain_source_"))
    source.set_value("A row typed in by hand").run()  # a typed row: the panels explain it too
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "What would change this prediction" in [s.value for s in at.subheader]
    _ask(at, "_compare")
    assert any("for the row typed in" in c.value for c in at.caption)


def test_letter_for_a_served_prediction_and_an_unknown_id(app, demo_workspace):
    from core.workspace.database import Workspace

    ws = Workspace(demo_workspace[0])
    request_id = ws.query_one("SELECT request_id FROM predictions WHERE status = 'scored' ORDER BY id LIMIT 1")[
        "request_id"
    ]
    at = explain_page(app)
    assert "Right to explanation: a letter for one served prediction" in [s.value for s in at.subheader]
    assert not at.get("download_button")  # nothing until a request id is typed
    at.text_input(key="letter_request_id").set_value(request_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download letter (HTML)", "Download letter (PDF)"]
    assert any(m.value.startswith("**Decision: ") for m in at.markdown)
    fixed = at.multiselect(key="letter_immutable")
    assert "tenure_months" in fixed.options and "customer_id" not in fixed.options  # the inputs the model uses
    assert "gender" in fixed.value and "senior_citizen" in fixed.value and "tenure_months" not in fixed.value
    fixed.set_value(["tenure_months", "contract"]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [b.proto.label for b in at.get("download_button")] == labels

    at.text_input(key="letter_request_id").set_value("no-such-[id](x)").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("No prediction with request id 'no-such-\\[id\\](x)' was logged")
    assert not at.get("download_button")


def _keys(at):
    return [w.key for w in at.multiselect]


def test_the_search_and_the_surrogate_are_asked_for_in_portuguese(app):
    at = app()
    at.query_params["lang"] = "pt"
    at.run()
    at.switch_page("pages/5_Explain.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.label for b in at.button]
    assert "Encontrar o que mudaria a decisão" in labels and "Comparar com um substituto local" in labels
    assert not any(c.value.startswith("Both in effect") for c in at.caption)
    _ask(at, "_compare")
    assert not at.error, [e.value for e in at.error]
    assert any("substituto local" in c.value for c in at.caption)

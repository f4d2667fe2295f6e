"""The Data page's recipe editor and cleaned-version section, clicked with AppTest."""

import pytest


def open_data(make, project="1"):
    at = make()
    at.query_params["project"] = project
    at.run()
    at.switch_page("pages/1_Data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def step_lines(at):
    return [m.value for m in at.markdown if m.value.startswith("**") and ".**" in m.value[:8]]


@pytest.fixture
def loaded(fresh):
    make, ws = fresh
    at = make()
    at.run()
    at.text_input(key="new_project_name").input("Recipe")
    at.button(key="create_project").click().run()
    at = open_data(make)
    at.button(key="load_sample").click().run()
    return make, ws


def test_steps_can_be_removed_added_and_undone_and_survive_a_refresh(loaded):
    make, ws = loaded
    at = open_data(make)
    before = step_lines(at)
    assert len(before) >= 5 and "duplicate" in before[0].lower()
    at.button(key="remove_step_1_0").click().run()
    assert len(step_lines(at)) == len(before) - 1

    at = open_data(make)  # a refresh: a new session, same URL
    after_refresh = step_lines(at)
    assert len(after_refresh) == len(before) - 1
    assert "duplicate" not in after_refresh[0].lower()

    at.selectbox(key="add_op_1").select("drop_columns").run()
    at.multiselect(key="drop_columns_1_cols").select("customer_id").run()
    at.button(key="add_step_1").click().run()
    lines = step_lines(at)
    assert len(lines) == len(before) and "customer_id" in lines[-1]
    at.button(key="undo_1").click().run()
    assert len(step_lines(at)) == len(before) - 1
    at.button(key="reset_1").click().run()
    assert len(step_lines(at)) == len(before)


def test_applying_saves_a_version_with_rules_downloads_and_lineage(loaded):
    make, ws = loaded
    at = open_data(make)
    at.button(key="apply_recipe").click().run()
    assert not at.exception and not at.error
    headers = " ".join(h.value for h in at.subheader)
    assert "4 · Cleaned version 1" in headers  # versions count per kind: raw v1 -> cleaned v1
    assert any("Removed 70 duplicate rows" in m.value for m in at.markdown)
    assert "Validation rules" in " ".join(e.label for e in at.expander)
    downloads = at.get("download_button")
    assert len(downloads) == 2
    assert any("Lineage" in str(chart.proto.spec) for chart in at.get("plotly_chart"))


def test_preview_shows_each_steps_effect_before_saving(loaded):
    make, ws = loaded
    at = open_data(make)
    summaries = [m.value for m in at.markdown if ":gray[" in m.value]
    assert any("70 duplicate" in s for s in summaries), summaries
    from core.data import datasets

    assert datasets.latest_dataset(ws, 1, "cleaned") is None  # nothing saved by previewing


@pytest.fixture
def project(fresh):
    """An empty project 'Offers' (id 1) and the app factory."""
    make, ws = fresh
    at = make()
    at.run()
    at.text_input(key="new_project_name").input("Offers")
    at.button(key="create_project").click().run()
    return make, ws


def _texts(at) -> list[str]:
    return [t.value for t in at.text]


def test_a_step_that_would_remove_most_rows_is_offered_and_added_only_on_request(project):
    from core import pipeline
    from core.data import datasets
    from tests.unit.data.test_cleaning import titanic

    make, ws = project
    pipeline.stage_ingest(ws, 1, titanic(), None, "titanic.csv")
    at = open_data(make)
    assert not any("duplicate" in line.lower() for line in step_lines(at))  # not applied unasked
    assert "Drop duplicate rows (training data only): would remove 2,177 of 2,201 rows (98.9%)." in _texts(at)
    assert any(t.startswith("No ID column tells these rows apart") for t in _texts(at))
    assert "Preview: 2,201 → 2,201 rows" in [e.label for e in at.expander]

    at.button(key="add_offer_1_0").click().run()
    assert not at.exception
    assert any("duplicate" in line.lower() for line in step_lines(at))
    assert not any("would remove 2,177" in t for t in _texts(at))  # offered once: now it is in the recipe
    assert "Preview: 2,201 → 24 rows" in [e.label for e in at.expander]
    assert datasets.load_recipe_draft(ws, 1, 1).steps[0].op == "drop_duplicates"


def test_the_add_step_form_says_before_adding_that_a_conversion_would_blank_a_column(project):
    import pandas as pd

    from core import pipeline

    make, ws = project
    table = pd.DataFrame({"renda": pd.Series([f"{v},25" for v in range(300)], dtype="str"), "y": [0, 1, 1] * 100})
    pipeline.stage_ingest(ws, 1, table, None, "renda.csv")
    at = open_data(make)
    assert "renda" in step_lines(at)[0]  # the suggestion converts it, with its decimal comma
    at.button(key="remove_step_1_0").click().run()

    at.selectbox(key="add_op_1").select("to_numeric").run()
    at.multiselect(key="to_numeric_1_cols").select("renda").run()
    decimal = next(s for s in at.selectbox if s.label == "Decimal mark")
    assert decimal.value == ","  # the format the values are written in
    assert not at.warning
    decimal.select(".").run()
    warnings = [w.value for w in at.warning]
    assert any(
        w.startswith(
            "Careful: 300 of 300 renda values (100%) become missing with the decimal mark '.'; "
            "with ',' they read as numbers."
        )
        for w in warnings
    ), warnings
    assert len(step_lines(at)) == 0  # nothing added yet: the warning comes first

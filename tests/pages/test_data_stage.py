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
    from core import datasets

    assert datasets.latest_dataset(ws, 1, "cleaned") is None  # nothing saved by previewing

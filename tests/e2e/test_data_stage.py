"""The Data page in a real browser: awkward corpus files through the uploader (how each was read,
or a plain refusal that leaves the project's data alone), the recipe editor (remove, refresh, add,
undo, apply), the cleaned-data download, and the Deploy page's input validation.
Screenshots data_stage_*.png are for a human to look at."""

from __future__ import annotations

import csv
import io
import math
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.corpus.make_corpus import Case, make_corpus

from .conftest import (
    assert_no_exception,
    click_key,
    dataframe_rows,
    error_texts,
    goto,
    main_text,
    project_id_from_url,
    select_option,
    selected_option,
    shot,
    wait_idle,
)
from .test_upload import create_project, open_upload_tab

pytestmark = pytest.mark.browser

UPLOAD_INPUT = ".st-key-upload input[type=file]"
MIMES = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".txt": "text/plain",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PROFILE_HEADING = re.compile(r"2 · Profile of (\S+) \(raw version (\d+)\)")
CLEANED_HEADING = re.compile(r"4 · Cleaned version (\d+): ([\d,]+) rows × (\d+) columns")
DEMO_TIMEOUT_S = 240


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, tuple[Case, Path]]:
    """The corpus files on disk (uploaded from there, as a user would), by name."""
    folder = tmp_path_factory.mktemp("corpus")
    return {case.name: (case, folder / case.name) for case in make_corpus(folder)}


def upload_file(page, path: Path) -> None:
    page.locator(UPLOAD_INPUT).set_input_files(str(path))
    wait_idle(page)


def alert_texts(page, kind: str) -> list[str]:
    texts = page.locator(f"[data-testid=stAlertContent{kind}]").all_inner_texts()
    return [t.strip() for t in texts if t.strip()]


def upload_panel(page):
    return page.locator("[role=tabpanel]").filter(has=page.locator(".st-key-upload"))


def cell_matches(text: str, expected) -> bool:
    """A grid cell's text against a corpus expectation."""
    if expected is None:
        return text in ("", "None", "nan", "NaN", "<NA>", "NaT")
    if isinstance(expected, pd.Timestamp):
        return text.startswith(expected.strftime("%Y-%m-%d"))
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return math.isclose(float(text.replace(",", "")), float(expected), rel_tol=1e-9)
        except ValueError:
            return False
    return text == str(expected)


def preview_columns(rows: list[list[str]]) -> dict[str, list[str]]:
    """{column: cells} from a grid's rows (header first; the first column is the index)."""
    header = rows[0]
    return {name: [r[i] for r in rows[1:] if i < len(r)] for i, name in enumerate(header) if i > 0}


def check_upload_shown(page, case: Case) -> None:
    """The page shows how `case` was read: the success line, each column's type, the values."""
    assert_no_exception(page, f"after uploading {case.name}")
    assert not error_texts(page), f"{case.name} was refused: {error_texts(page)}"
    successes = [t for t in alert_texts(page, "Success") if t.startswith("Read ")]
    assert successes, f"no 'Read … rows' line after uploading {case.name}: {main_text(page)[:800]}"
    line = successes[0]
    rows = case.rows if case.rows is not None else next((len(v) for v in case.values.values()), None)
    if rows is not None and case.columns:
        assert f"Read {rows:,} rows × {len(case.columns)} columns" in line, line
    if case.format:
        assert f" as {case.format}" in line, line
    for field in ("delimiter", "decimal"):
        if field in case.info:
            assert f"{field} {case.info[field]!r}" in line, f"{case.name}: {field} not reported in {line!r}"
    if "encoding" in case.info:
        assert f"(encoding {case.info['encoding']}," in line, f"{case.name}: encoding not reported in {line!r}"
    if case.info.get("sheet"):
        assert f"sheet '{case.info['sheet']}'" in line, line
    # The sheet picker starts on "first (auto)", so the reader's note about other sheets shows; once a
    # sheet is chosen by hand the note is not repeated.
    if case.warning and not (case.format == "excel" and "also has" in case.warning and case.options.get("sheet")):
        warnings = alert_texts(page, "Warning")
        assert any(case.warning in w for w in warnings), f"{case.name}: no warning with {case.warning!r}: {warnings}"

    frames = upload_panel(page).locator("[data-testid=stDataFrame]")
    assert frames.count() == 2, f"expected the column-types table and the preview, found {frames.count()} tables"
    expected_names = list(case.columns) or [*case.values, *case.dtypes]
    # How each column was read: a row per column, its type must be the expected kind.
    types = dataframe_rows(frames.nth(0), until=lambda r: {x[0] for x in r[1:]} >= set(expected_names))
    assert types[0][:2] == ["column", "type"], types[0]
    type_of = {r[0]: r[1] for r in types[1:]}
    for column, kind in case.dtypes.items():
        assert type_of[column].lower().startswith(kind), (
            f"{case.name}: column {column!r} typed {type_of[column]!r}, expected {kind}"
        )
    # The preview: the values as read (accents intact, numbers parsed).
    preview = dataframe_rows(frames.nth(1), until=lambda r: set(r[0][1:]) >= set(expected_names))
    cells = preview_columns(preview)
    if case.columns:
        assert list(cells) == list(case.columns), f"{case.name}: preview columns {list(cells)}"
    for column, expected in case.values.items():
        got = cells[column]
        assert len(got) == len(expected) and all(cell_matches(g, e) for g, e in zip(got, expected)), (
            f"{case.name}: preview column {column!r} shows {got!r}, expected {expected!r}"
        )


def choose_by_keyboard(page, key: str, option_text: str, attempts: int = 3) -> None:
    """Choose a selectbox option by typing it and pressing Enter. Inside the reading-options
    expander a clicked option gets re-rendered away before the click lands, and the typed-in
    list now and then does not open: retry a few times."""
    box = page.locator(f".st-key-{key} input[role=combobox]").first
    option = page.locator("[role=listbox] [role=option]").filter(has_text=option_text).first
    for attempt in range(attempts):
        box.click()
        box.fill("")
        box.press_sequentially(option_text, delay=30)
        try:
            option.wait_for(state="visible", timeout=4_000)
        except Exception:
            if attempt == attempts - 1:
                raise
            box.press("Escape")
            page.wait_for_timeout(300)
            continue
        box.press("Enter")
        wait_idle(page)
        return


def profile_heading(page) -> str:
    heading = page.get_by_text(PROFILE_HEADING).first
    heading.wait_for(timeout=30_000)
    return heading.inner_text().strip()


def raw_id_of(page) -> str:
    """The raw dataset id the recipe editor's keys carry (remove_step_<rawid>_<i>, undo_<rawid>)."""
    page.locator("[class*=st-key-undo_]").first.wait_for(timeout=30_000)
    key = page.evaluate(
        "() => [...document.querySelector('[class*=st-key-undo_]').classList].find(c => c.startsWith('st-key-undo_'))"
    )
    return key.removeprefix("st-key-undo_")


def recipe_steps(page, raw_id: str) -> list[str]:
    """Each step's text as shown (number, description and what it did on this table)."""
    steps = []
    i = 0
    while page.locator(f".st-key-remove_step_{raw_id}_{i}").count():
        row = (
            page.locator("[data-testid=stHorizontalBlock]")
            .filter(has=page.locator(f".st-key-remove_step_{raw_id}_{i}"))
            .last
        )
        steps.append(row.locator("[data-testid=stMarkdownContainer]").first.inner_text().strip())
        i += 1
    return steps


def step_description(step_text: str) -> str:
    """'3. Drop rows …\\nRemoved 5 rows …' -> 'Drop rows …'."""
    return re.sub(r"^\d+\.\s*", "", step_text.splitlines()[0]).strip()


def step_summary(step_text: str) -> str:
    lines = step_text.splitlines()
    return lines[1].strip() if len(lines) > 1 else ""


def reload_page(page) -> None:
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && ['running','notRunning'].includes(a.getAttribute('data-test-script-state')); }",
        timeout=60_000,
    )
    wait_idle(page)


def start_sample_project(page, base_url: str, name: str) -> str:
    project_id = create_project(page, base_url, f"{name} {int(time.time())}")
    goto(page, base_url, f"/Data?project={project_id}")
    click_key(page, "load_sample", timeout=60_000)
    assert_no_exception(page, "after loading the sample")
    assert not error_texts(page), f"loading the sample failed: {error_texts(page)}"
    assert profile_heading(page) == "2 · Profile of telco_churn.csv (raw version 1)"
    return project_id


def cleaned_heading(page) -> re.Match:
    heading = page.get_by_text(CLEANED_HEADING).first
    heading.wait_for(timeout=30_000)
    match = CLEANED_HEADING.search(heading.inner_text())
    assert match, heading.inner_text()
    return match


# --------------------------------------------------------------------------- 1 · uploads
def test_corpus_uploads_are_read_or_plainly_refused(page, base_url, corpus):
    start_sample_project(page, base_url, "Data corpus")
    before = profile_heading(page)
    open_upload_tab(page)

    # Refused files: a plain error naming the file and the problem; the sample stays.
    for name in ("ragged.csv", "duplicate_names.csv", "pdf_renamed.csv"):
        case, path = corpus[name]
        assert case.refusal and not case.limits
        upload_file(page, path)
        assert_no_exception(page, f"after uploading {name}")
        errors = error_texts(page)
        assert errors, f"uploading {name} showed no error"
        assert errors[0].startswith(f"{name}: "), f"the error does not name the file: {errors}"
        assert case.refusal in errors[0], f"{name}: expected {case.refusal!r} in the error, got {errors[0]!r}"
        assert page.locator(".st-key-save_upload button").count() == 0, f"{name} can be saved"
        assert profile_heading(page) == before, f"the project's data changed after uploading {name}"
        if name == "ragged.csv":
            shot(page, "data_stage_refused_ragged")

    # Files that must be read: delimiter/decimal/thousands, encodings, a workbook.
    for name in (
        "semicolon_decimal_comma.csv",
        "thousands_dot_decimal_comma.csv",
        "latin1.csv",
        "cp1252_euro.csv",
        "two_sheets.xlsx",
    ):
        case, path = corpus[name]
        assert case.refusal is None and not case.limits and not case.options
        upload_file(page, path)
        check_upload_shown(page, case)
        if name == "cp1252_euro.csv":
            shot(page, "data_stage_upload_cp1252")

    # The workbook: the reading options offer its sheets; the second changes the preview.
    second, _ = corpus["two_sheets_second.xlsx"]
    page.get_by_text(re.compile("^Reading options")).first.click()
    sheet_box = page.locator(".st-key-opt_sheet")
    sheet_box.wait_for(state="visible", timeout=10_000)
    assert "Excel sheet" in sheet_box.inner_text()
    assert selected_option(page, "opt_sheet") == "first (auto)"
    choose_by_keyboard(page, "opt_sheet", second.options["sheet"])
    assert selected_option(page, "opt_sheet") == "Second"
    check_upload_shown(page, second)
    shot(page, "data_stage_upload_second_sheet")

    # Nothing was saved: the project still shows the sample, also after a refresh.
    reload_page(page)
    assert_no_exception(page, "after refresh")
    assert profile_heading(page) == before


# --------------------------------------------------------------------------- 2 · recipe editor
def test_recipe_editor_remove_refresh_add_undo_apply(page, base_url):
    start_sample_project(page, base_url, "Data recipe")
    raw_id = raw_id_of(page)
    suggested = recipe_steps(page, raw_id)
    assert len(suggested) >= 2, f"the telco sample should get several suggested steps: {suggested}"

    # Remove the first suggested step.
    removed = step_description(suggested[0])
    click_key(page, f"remove_step_{raw_id}_0")
    assert_no_exception(page, "after removing a step")
    after_remove = recipe_steps(page, raw_id)
    assert [step_description(s) for s in after_remove] == [step_description(s) for s in suggested[1:]], (
        f"removing step 1 ({removed!r}) gave {after_remove}"
    )
    assert after_remove[0].startswith("1. "), "the steps were not renumbered"

    # A browser refresh keeps the draft (it lives in the workspace).
    reload_page(page)
    assert_no_exception(page, "after refresh")
    page.locator(f".st-key-undo_{raw_id}").wait_for(timeout=30_000)
    assert recipe_steps(page, raw_id) == after_remove, "the removal did not survive a refresh"

    # Add a step: drop a column.
    select_option(page, f"add_op_{raw_id}", "Drop columns", exact=True)
    select_option(page, f"drop_columns_{raw_id}_cols", "signup_date", exact=True)
    page.keyboard.press("Escape")
    page.get_by_text(re.compile(r"Will add: .*signup_date")).first.wait_for(timeout=10_000)
    click_key(page, f"add_step_{raw_id}")
    assert_no_exception(page, "after adding a step")
    after_add = recipe_steps(page, raw_id)
    assert len(after_add) == len(after_remove) + 1, f"adding a step gave {after_add}"
    assert after_add[:-1] == after_remove
    assert "signup_date" in after_add[-1] and re.search("drop", after_add[-1], re.I), after_add[-1]

    # Undo the last step: back to the list before the addition.
    click_key(page, f"undo_{raw_id}")
    assert_no_exception(page, "after undo")
    after_undo = recipe_steps(page, raw_id)
    assert after_undo == after_remove, f"undo gave {after_undo}, expected {after_remove}"

    # Apply: the cleaned version with what each step did, its rules, downloads and the lineage.
    click_key(page, "apply_recipe", timeout=90_000)
    assert_no_exception(page, "after applying the recipe")
    assert not error_texts(page), f"applying the recipe failed: {error_texts(page)}"
    match = cleaned_heading(page)
    assert match.group(3) == "19", f"the recipe keeps all 19 columns: {match.group(0)}"
    text = main_text(page)
    section4 = text[text.index(match.group(0)) :]
    for step in after_undo:
        summary = step_summary(step)
        assert summary and summary in section4, f"the cleaned version does not list {summary!r}:\n{section4[:1500]}"
    removed_summary = step_summary(suggested[0])
    assert removed_summary not in section4, f"the removed step's summary {removed_summary!r} is still listed"
    assert page.get_by_text("Validation rules learned from this version").first.is_visible()
    for key in ("download_csv", "download_recipe"):
        assert page.locator(f".st-key-{key} button").first.is_visible(), f"no {key} button"
    lineage = page.locator(".st-key-lineage [data-testid=stPlotlyChart]")
    lineage.first.wait_for(state="visible", timeout=30_000)
    lineage.locator(".main-svg").first.wait_for(state="attached", timeout=30_000)
    assert "raw data v1" in lineage.first.inner_text() and "cleaned data" in lineage.first.inner_text()
    shot(page, "data_stage_recipe_applied")


# --------------------------------------------------------------------------- 3 · download
def test_download_cleaned_csv(page, base_url):
    start_sample_project(page, base_url, "Data download")
    click_key(page, "apply_recipe", timeout=90_000)
    assert not error_texts(page), f"applying the recipe failed: {error_texts(page)}"
    match = cleaned_heading(page)
    rows, cols = int(match.group(2).replace(",", "")), int(match.group(3))

    with page.expect_download(timeout=60_000) as info:
        page.locator(".st-key-download_csv button").first.click()
    download = info.value
    assert download.suggested_filename.endswith(f"-cleaned-v{match.group(1)}.csv"), download.suggested_filename
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), f"no UTF-8 BOM: {data[:20]!r}"
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = records[0], records[1:]
    assert len(header) == cols, header
    assert header[0] == "customer_id" and "churn" in header, header
    assert len(body) == rows, f"the CSV has {len(body)} data rows, the page says {rows:,}"
    assert all(len(r) == cols for r in body), "a CSV row has the wrong number of fields"
    assert_no_exception(page, "after the download")


# --------------------------------------------------------------------------- 4 · deploy validation
def wait_for_demo(page) -> None:
    deadline = time.monotonic() + DEMO_TIMEOUT_S
    while time.monotonic() < deadline:
        assert_no_exception(page, "while the demo runs")
        if "/Monitor" in page.url and page.locator("[data-testid=stMain] [data-testid=stPlotlyChart]").count():
            return
        if "/Monitor" not in page.url:
            assert not error_texts(page), f"the demo reported an error: {error_texts(page)}"
        page.wait_for_timeout(1000)
    raise AssertionError(f"the demo did not reach the Monitor page in {DEMO_TIMEOUT_S} s: {page.url}")


def edit_grid_cell(page, editor, row: int, column: int, value: str) -> None:
    """Type `value` into a data editor's cell (column 0 is the index): click the row's first cell,
    walk to the column with the arrow keys, Enter opens the cell's editor, Enter commits."""
    canvas = editor.locator("[data-testid=data-grid-canvas]").first
    box = canvas.bounding_box()
    assert box, "the data editor has no canvas"
    header_px, row_px = 35, 35
    page.mouse.click(box["x"] + 10, box["y"] + header_px + row_px * row + row_px / 2)
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    cell_input = page.locator("#portal input, #portal textarea").first
    cell_input.wait_for(state="visible", timeout=10_000)
    cell_input.fill(value)
    cell_input.press("Enter")
    wait_idle(page)


def test_deploy_flags_an_impossible_input(page, base_url):
    from playwright.sync_api import Error as PlaywrightError  # here: a missing playwright skips, not errors

    goto(page, base_url, "/")
    click_key(page, "run_demo")
    wait_for_demo(page)
    project_id = project_id_from_url(page.url)
    assert project_id, page.url
    goto(page, base_url, f"/Deploy?project={project_id}")
    assert_no_exception(page, "deploy")

    editor = page.locator("[data-testid=stMain] [data-testid=stDataFrame]").first
    rows = dataframe_rows(editor)
    header = rows[0]
    edited = False
    if "tenure_months" in header:
        column = header.index("tenure_months")
        try:
            edit_grid_cell(page, editor, 0, column, "999")
            rows = dataframe_rows(editor, timeout=5_000, until=lambda r: r[1][column] in ("999", "999.0"))
            edited = True
        except (AssertionError, PlaywrightError) as exc:  # the grid is canvas-drawn: fall back to plain rows
            print(f"could not edit the tenure_months cell ({exc}); sending the rows as they are")
    click_key(page, "send_rows", timeout=120_000)
    assert_no_exception(page, "deploy: send rows")
    assert not error_texts(page), f"sending rows failed: {error_texts(page)}"
    page.get_by_text("Each row's answer").first.wait_for(timeout=30_000)
    successes = [t for t in alert_texts(page, "Success") if "pass" in t]
    warnings = [t for t in alert_texts(page, "Warning") if "fail" in t]
    if edited:
        assert warnings and "tenure_months" in warnings[0], (
            f"tenure_months 999 was sent but no validation warning names it: {warnings or successes}"
        )
    else:
        assert successes or warnings, f"no validation message under the predictions: {main_text(page)[-1500:]}"
        if successes:
            assert re.search(r"All \d+ rows pass", successes[0]), successes[0]
    shot(page, "data_stage_deploy_validation")
    print(f"deploy validation (cell edited: {edited}): {(warnings or successes)[0]}")

"""Train & compare in a real browser, clicked as a user would: a tuning study run as a job (its
progress, the live best-so-far chart, the leaderboard it records), a refresh in the middle of a
second study and stopping it early, the go/no-go gate and registering the winner (then seen on the
Registry page), the runs compared side by side and the evaluation's business-cost curve.

The demo project is built headless in the shared server's workspace (faster than clicking "Run full
demo", which test_full_demo.py covers). Screenshots train_lab_*.png are for a human to look at."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from .conftest import (
    StreamlitServer,
    assert_no_exception,
    click_key,
    dataframe_rows,
    error_texts,
    fill_text,
    goto,
    main_text,
    project_id_from_url,
    select_option,
    selected_option,
    shot,
    wait_idle,
)

pytestmark = pytest.mark.browser

STUDY_TIMEOUT_S = 240  # a loaded 2-core machine: a random-forest trial alone can take 20 s
CHARTS = "[data-testid=stMain] [data-testid=stPlotlyChart]"
BEST_SO_FAR_TITLE = "Tuning: CV ROC-AUC trial by trial"
CHECK_TITLES = (
    "Good enough for the business.",
    "Better than guessing.",
    "At least as good as the current champion.",
    "Fast enough.",
)
PAGE_STATE_JS = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return {progress: [], titles: [], headings: [], info: [], success: []};
  const texts = sel => [...main.querySelectorAll(sel)].map(e => (e.textContent || '').trim());
  return {
    progress: texts('[data-testid=stProgress]'),
    titles: texts('[data-testid=stPlotlyChart] .gtitle'),
    headings: texts('h1, h2, h3'),
    info: texts('[data-testid=stAlertContentInfo] [data-testid=stMarkdownContainer]'),
    success: texts('[data-testid=stAlertContentSuccess] [data-testid=stMarkdownContainer]'),
  };
}"""


# --------------------------------------------------------------------------- the demo project
@pytest.fixture(scope="module")
def demo(app_server: StreamlitServer) -> dict:
    """The demo pipeline (leaderboard, champion, retrain) run headless into the server's workspace:
    {id, best family's display name}."""
    from core import pipeline
    from core.problem.store import get_problem
    from core.training import tracking
    from core.training.catalog import get_model_spec
    from core.workspace import projects
    from core.workspace.database import Workspace

    ws = Workspace(app_server.workspace)
    started = time.monotonic()
    out = pipeline.run_demo(ws, project_name="Training lab")
    print(f"headless demo in {time.monotonic() - started:.0f} s")
    project = projects.get_project(ws, out["project"])
    latest = tracking.latest_experiment(ws, project["id"])
    best = tracking.get_run(ws, latest["best_run_id"])
    task = get_problem(ws, project["id"]).task
    return {"id": project["id"], "best_family": get_model_spec(task, best["model_key"]).name}


# --------------------------------------------------------------------------- helpers
def page_state(page) -> dict:
    """Progress texts, chart titles, headings and alerts, read in one go (a fragment may redraw)."""
    return page.evaluate(PAGE_STATE_JS)


def wait_until(
    page, condition: Callable[[dict], bool], timeout_s: float, what: str, on_poll: Callable[[dict], None] | None = None
) -> dict:
    """Poll the page state until `condition(state)` holds, failing early on an exception or an error."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert_no_exception(page, what)
        errors = error_texts(page)
        assert not errors, f"the page shows an error while waiting for {what}: {errors}"
        state = page_state(page)
        if on_poll is not None:
            on_poll(state)
        if condition(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what} did not happen within {timeout_s:.0f} s; state {state}; main text: {main_text(page)[:1500]}"
            )
        page.wait_for_timeout(300)


def open_train(page, base_url: str, project_id: int) -> None:
    goto(page, base_url, f"/Train?project={project_id}")
    assert project_id_from_url(page.url) == str(project_id), page.url
    assert_no_exception(page, "Train page")


def choose_radio(page, key: str, label: str) -> None:
    page.locator(f".st-key-{key} label").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).first.click()
    wait_idle(page)


def chosen_radio(page, key: str) -> str:
    """The label of a keyed st.radio's checked option (waits for the radio to be drawn)."""
    return page.wait_for_function(
        "k => { const i = document.querySelector(`.st-key-${k} input[type=radio]:checked`);"
        " return i ? (i.closest('label')?.innerText || '').trim() || null : null; }",
        arg=key,
        timeout=30_000,
    ).json_value()


def choose_section(page, name: str) -> None:
    choose_radio(page, "train_section", name)
    assert chosen_radio(page, "train_section") == name
    assert_no_exception(page, f"{name} section")


def study_summaries(state: dict) -> list[str]:
    return [t for t in state["info"] + state["success"] if re.search(r" ran \d+ trials in ", t)]


def trial_count(summary: str) -> int:
    match = re.search(r" ran (\d+) trials in ", summary)
    assert match, f"no trial count in the study summary: {summary!r}"
    return int(match.group(1))


def alert_texts(page, kind: str) -> list[str]:
    # The markdown only: an alert's material icon is text too (its ligature name, e.g. "tune").
    texts = page.locator(
        f"[data-testid=stMain] [data-testid=stAlertContent{kind}] [data-testid=stMarkdownContainer]"
    ).all_inner_texts()
    return [t.strip() for t in texts if t.strip()]


def table_with(page, columns: set[str], until: Callable[[list[list[str]]], bool] | None = None) -> list[list[str]]:
    """The cells of the st.dataframe whose header has all of `columns` (scrolled into view: the grid
    fills its accessibility table only for what is drawn)."""
    frames = page.locator("[data-testid=stMain] [data-testid=stDataFrame]")
    seen = []
    for i in range(frames.count()):
        frame = frames.nth(i)
        if not frame.is_visible():
            continue
        frame.scroll_into_view_if_needed()
        try:
            rows = dataframe_rows(frame, timeout=10_000)
        except AssertionError:
            continue
        seen.append(rows[0])
        if columns <= set(rows[0]):
            return dataframe_rows(frame, timeout=15_000, until=until) if until else rows
    raise AssertionError(f"no table with the columns {sorted(columns)}; the headers shown: {seen}")


def set_number(page, key: str, value: int) -> None:
    fill_text(page, key, str(value))
    shown = page.locator(f".st-key-{key} input").first.input_value()
    assert shown == str(value), f"the number input {key} shows {shown!r} after typing {value}"


# --------------------------------------------------------------------------- tests
def test_a_random_search_runs_live_and_records_its_leaderboard(page, base_url, demo):
    open_train(page, base_url, demo["id"])
    assert chosen_radio(page, "train_section") == "Leaderboard"
    choose_section(page, "Tune")
    # The family starts on the best of the latest experiment.
    assert selected_option(page, "tune_family") == demo["best_family"]
    choose_radio(page, "tune_method", "Random search")
    set_number(page, "tune_trials", 4)
    shot(page, "train_lab_01_tune_settings")

    seen_progress: list[str] = []
    seen_live_chart = []

    def record(state: dict) -> None:
        seen_progress.extend(t for t in state["progress"] if t not in seen_progress)
        if BEST_SO_FAR_TITLE in state["titles"] and state["progress"]:
            seen_live_chart.append(True)

    page.locator(".st-key-tune_start button").click()
    # The study runs as a job: its progress bar shows at once (the folds are prepared first).
    wait_until(
        page,
        lambda s: bool(s["progress"]) or any(h.startswith("Tuning study —") for h in s["headings"]),
        60,
        "the tuning job to start",
        on_poll=record,
    )
    if seen_progress:
        try:
            shot(page, "train_lab_02_study_running")
        except Exception:  # the study may end while the screenshot is taken
            pass
    started = time.monotonic()
    state = wait_until(
        page,
        lambda s: any(h.startswith("Tuning study —") for h in s["headings"]) and not s["progress"],
        STUDY_TIMEOUT_S,
        "the 4-trial study to finish",
        on_poll=record,
    )
    print(
        f"4-trial random search of {demo['best_family']} ended {time.monotonic() - started:.0f} s after it "
        f"started; progress seen: {seen_progress}; live chart seen: {bool(seen_live_chart)}"
    )
    wait_idle(page)
    assert_no_exception(page, "study done")
    state = wait_until(page, lambda s: BEST_SO_FAR_TITLE in s["titles"], 30, "the finished study's chart")
    shot(page, "train_lab_03_study_done")

    assert seen_progress, "no progress bar was shown while the study ran"
    for text in seen_progress:  # "Starting…", "Preparing the folds", "Trial 2/4 done; best so far 0.83", …
        if text.startswith("Trial "):
            assert re.match(r"Trial [1-4]/4 done; best so far \d", text), text
    heading = next(h for h in state["headings"] if h.startswith("Tuning study —"))
    assert heading == f"Tuning study — Random search of {demo['best_family']}", heading
    assert BEST_SO_FAR_TITLE in state["titles"], f"no best-so-far chart; chart titles: {state['titles']}"
    summaries = study_summaries(state)
    assert summaries, f"no study summary; alerts: {state['info'] + state['success']}"
    for summary in summaries:  # the job's message and the study's summary: the same sentence
        assert summary.startswith("Random search ran 4 trials in "), summary
        assert "ended because the trial budget was spent" in summary, summary

    # The new experiment's leaderboard: the baseline, the family with its defaults, and tuned.
    leaderboard = next(h for h in state["headings"] if h.startswith("Leaderboard — experiment"))
    rows = table_with(page, {"model", "CV ROC-AUC"})
    models = [r[rows[0].index("model")] for r in rows[1:]]
    assert len(models) == 3, f"{leaderboard} lists {models}"
    assert any(m.startswith("Baseline") for m in models), models
    assert f"{demo['best_family']} (defaults)" in models, models
    assert f"{demo['best_family']} (tuned)" in models, models


def test_a_refresh_keeps_a_study_running_and_stop_keeps_the_best(page, base_url, demo):
    open_train(page, base_url, demo["id"])
    choose_section(page, "Tune")
    # Random forest: trials slow enough to refresh in the middle of the study.
    select_option(page, "tune_family", "Random forest")
    assert selected_option(page, "tune_family") == "Random forest"
    choose_radio(page, "tune_method", "Bayesian optimisation (Optuna TPE)")
    set_number(page, "tune_trials", 30)
    set_number(page, "tune_seconds", 900)  # the Stop button, not the clock, must end this study
    page.locator(".st-key-tune_start button").click()

    def trial_running(state: dict) -> bool:
        return any(re.match(r"Trial \d+/30 done", t) for t in state["progress"])

    # Plotly draws the chart a moment after the progress text of the same redraw: wait for both.
    wait_until(
        page,
        lambda s: trial_running(s) and BEST_SO_FAR_TITLE in s["titles"],
        STUDY_TIMEOUT_S,
        "the first trial of 30 and its live best-so-far chart",
    )
    shot(page, "train_lab_04_second_study_running")

    # A refresh: a new browser session. The job goes on in the server.
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && ['running','notRunning'].includes(a.getAttribute('data-test-script-state')); }",
        timeout=60_000,
    )
    wait_idle(page)
    assert project_id_from_url(page.url) == str(demo["id"]), f"the refresh lost the project: {page.url}"
    after_reload = chosen_radio(page, "train_section")
    print(f"after the refresh the Train page shows the section {after_reload!r}")
    shot(page, "train_lab_05_after_reload")
    if after_reload != "Tune":
        choose_section(page, "Tune")
    state = wait_until(page, trial_running, 60, "the running study's progress after the refresh")
    assert page.locator(".st-key-tune_start button").is_disabled(), "Start is enabled while a study runs"
    assert page.locator(".st-key-tune_stop button").is_visible()
    shot(page, "train_lab_06_running_after_reload")

    click_key(page, "tune_stop")

    def stopped_study_shown(state: dict) -> bool:
        return not state["progress"] and any(
            h.startswith("Tuning study —") and h.endswith("of Random forest") for h in state["headings"]
        )

    wait_until(page, stopped_study_shown, STUDY_TIMEOUT_S, "the stopped study to end")
    wait_idle(page)
    assert_no_exception(page, "study stopped")
    state = wait_until(page, lambda s: BEST_SO_FAR_TITLE in s["titles"], 30, "the stopped study's chart")
    shot(page, "train_lab_07_study_stopped")
    summaries = study_summaries(state)
    assert summaries, f"no study summary; alerts: {state['info'] + state['success']}"
    for summary in summaries:
        assert summary.startswith("Bayesian optimisation (Optuna TPE) ran "), summary
        assert "ended because you stopped it" in summary, summary
        assert 1 <= trial_count(summary) < 30, summary
    assert BEST_SO_FAR_TITLE in state["titles"], state["titles"]
    rows = table_with(page, {"model", "CV ROC-AUC"})
    models = [r[rows[0].index("model")] for r in rows[1:]]
    assert "Random forest (tuned)" in models and "Random forest (defaults)" in models, models


def ensure_unregistered_winner(app_server: StreamlitServer, project_id: int) -> None:
    """The latest experiment's winner must be registrable. After the tuning tests it is; run alone,
    the latest experiment is the demo's retraining, whose winner the demo already registered, so a
    small leaderboard is trained headless, on the champion's rows and split (the gate compares)."""
    from dataclasses import replace

    from core import registry
    from core.stages import lab
    from core.training import tracking
    from core.workspace.database import Workspace

    ws = Workspace(app_server.workspace)
    latest = tracking.latest_experiment(ws, project_id)
    if registry.get_version_of_run(ws, project_id, latest["best_run_id"]) is not None:
        champion = registry.get_alias_version(ws, project_id, registry.get_model_name(ws, project_id), "champion")
        experiment = tracking.get_experiment(ws, tracking.get_run(ws, champion["run_id"])["experiment_id"])
        config, _ = lab.training_setup_like(ws, experiment, experiment["feature_set_id"])
        lab.stage_train(
            ws,
            project_id,
            experiment["feature_set_id"],
            replace(config, models=("baseline", "logistic", "random_forest")),
        )


def test_the_gate_explains_each_check_and_registers_the_winner(page, base_url, demo, app_server):
    ensure_unregistered_winner(app_server, demo["id"])
    open_train(page, base_url, demo["id"])
    choose_section(page, "Gate")
    verdict_box = page.locator("[data-testid=stMain] [data-testid=stMetric]").filter(has_text="Verdict").first
    verdict = verdict_box.locator("[data-testid=stMetricValue]").inner_text().strip()
    assert verdict in ("GO", "NO-GO"), verdict
    checks = alert_texts(page, "Success") + alert_texts(page, "Error")
    checks = [c for c in checks if c.startswith(tuple(t for t in CHECK_TITLES))]
    for title in CHECK_TITLES:
        sentence = next((c for c in checks if c.startswith(title)), None)
        assert sentence, f"the gate shows no check {title!r}: {checks}"
        rest = sentence.removeprefix(title).strip()
        assert len(rest) > 20 and rest.endswith("."), f"check {title!r} is not a sentence: {sentence!r}"
    failed = [c for c in alert_texts(page, "Error") if c.startswith(CHECK_TITLES)]
    assert (verdict == "GO") == (not failed), f"verdict {verdict} but failed checks {failed}"
    shot(page, "train_lab_08_gate")

    # Register the best model as challenger (the demo has a champion); a NO-GO needs a reason.
    passed = [t for t in alert_texts(page, "Success") if t.endswith("passed the gate: it can be registered.")]
    if verdict == "GO":
        assert passed, "the gate says GO but the register form does not say the model passed"
    else:
        assert not passed
        assert page.locator(".st-key-train_register_register button").is_disabled(), (
            "Register is enabled for a NO-GO model without a reason"
        )
        fill_text(page, "train_register_reason", "The class demo registers it to compare against the champion.")
    assert chosen_radio(page, "train_register_alias") == "challenger", "the alias does not default to challenger"
    # A yes/no model is registered with the score from which it answers yes: the demo's costs set it.
    threshold_input = page.locator("[class*='st-key-train_register_threshold_'] input")
    threshold = float(threshold_input.input_value())
    assert 0.0 <= threshold <= 1.0, threshold
    assert "cheapest threshold for the costs on the Problem page" in main_text(page)
    choose_radio(page, "train_register_alias", "challenger")
    click_key(page, "train_register_register", timeout=120_000)
    assert_no_exception(page, "register")
    assert not [e for e in error_texts(page) if not e.startswith(CHECK_TITLES)], error_texts(page)
    registered = [t for t in alert_texts(page, "Success") if t.startswith("Registered ")]
    assert registered, f"no 'Registered …' message: {main_text(page)[-1500:]}"
    match = re.fullmatch(r"Registered (.+) version (\d+) as challenger\.", registered[0])
    assert match, registered[0]
    model_name, version = match.group(1), int(match.group(2))
    shot(page, "train_lab_09_registered")

    # The Registry page shows the new version as the challenger.
    goto(page, base_url, f"/Registry?project={demo['id']}")
    assert_no_exception(page, "registry")
    text = main_text(page)
    assert f"Versions of '{model_name}'" in text, text[:1500]
    challenger = page.locator("[data-testid=stMetric]").filter(has_text="Challenger").first
    assert challenger.locator("[data-testid=stMetricValue]").inner_text().strip() == f"v{version}"
    rows = table_with(page, {"version", "aliases"}, until=lambda r: any(str(version) in row for row in r[1:]))
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("version")] == str(version))
    assert "challenger" in row[header.index("aliases")], row
    assert float(row[header.index("decision threshold")]) == threshold, (header, row)
    shot(page, "train_lab_10_registry")


def test_runs_side_by_side_and_the_cost_curve(page, base_url, demo):
    open_train(page, base_url, demo["id"])
    choose_section(page, "Runs")
    assert "runs, each with its data version" in main_text(page)
    compare = page.locator(".st-key-runs_compare")
    compare.scroll_into_view_if_needed()
    chips = compare.locator("[data-testid=stMultiSelectTagsContainer] [data-tag]")
    if chips.count() < 2:  # pick two runs as a user would
        for _ in range(2 - chips.count()):
            compare.locator("input[role=combobox]").first.click()
            page.locator("[role=listbox] [role=option]").first.click()
            wait_idle(page)
        page.keyboard.press("Escape")
        wait_idle(page)
    chosen = [label.split(":")[0] for label in chips.evaluate_all("ts => ts.map(t => t.getAttribute('aria-label'))")]
    assert len(chosen) == 2 and all(re.fullmatch(r"run \d+", c) for c in chosen), chosen
    wait_until(
        page,
        lambda s: {"Scores of the chosen runs", "Score on each cross-validation fold"} <= set(s["titles"]),
        60,
        "the two comparison charts",
    )
    text = main_text(page)
    assert re.search(r"\d+ of \d+ settings differ between these runs", text), text[:2000]
    # The settings table: one row per setting (the model's name among them), one column per chosen run.
    settings = table_with(page, set(chosen))
    names = [r[0] for r in settings[1:]]
    assert "model" in names and len(names) >= 5, names
    assert "has the best holdout ROC-AUC of these runs" in text
    assert "from fold to fold" in text
    shot(page, "train_lab_11_runs")

    choose_section(page, "Evaluate")
    wait_idle(page, timeout=120_000)
    slider = page.locator("[data-testid=stMain] [data-testid=stSlider]").filter(has_text="Decision threshold")
    assert slider.count() == 1, "no threshold slider"
    state = wait_until(
        page,
        lambda s: any(t.startswith("Business cost of the mistakes per threshold") for t in s["titles"]),
        30,
        "the cost curve",
    )
    cost_titles = [t for t in state["titles"] if t.startswith("Business cost of the mistakes per threshold")]
    assert cost_titles, f"no cost curve; chart titles: {state['titles']}"
    cost = page.locator("[data-testid=stMetric]").filter(has_text="Cost at this threshold").first
    assert re.fullmatch(r"€[\d,]+", cost.locator("[data-testid=stMetricValue]").inner_text().strip())
    assert not error_texts(page), error_texts(page)
    shot(page, "train_lab_12_evaluate")

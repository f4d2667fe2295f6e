"""Browser end-to-end harness: a real Streamlit server, Debian chromium, Playwright (sync API).

Fixtures
- ``app_server`` (session): one server shared by the tests, on a fresh workspace.
- ``base_url``: that server's URL.
- ``start_fresh_server`` (function): a factory for extra servers that nobody has visited yet
  (deep links right after a server start hit a different code path in Streamlit).
- ``browser`` (session) and ``page`` (function, new context per test, 1400x1000).

Helpers (import from ``tests.e2e.conftest``): ``wait_idle``, ``goto``, ``assert_no_exception``,
``shot``, ``click_key``, ``select_option``, ``selected_option``, ``fill_text``, ``error_texts``,
``main_text``, ``sidebar_link``, ``project_id_from_url``. On a failure the page fixture saves
``screenshots/FAILED_<test>.png`` and prints the server log's tail.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_PATH = os.environ.get("MLOPS_STUDIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60
FIRST_LOAD_TIMEOUT_MS = 60_000  # the first session imports sklearn/plotly: give it room
VIEWPORT = {"width": 1400, "height": 1000}

# Every stage page: (URL path, the name the app uses for it).
STAGES = [
    ("/Data", "Data"),
    ("/Problem", "Problem"),
    ("/Features", "Features"),
    ("/Train", "Train"),
    ("/Explain", "Explain"),
    ("/Registry", "Registry"),
    ("/Deploy", "Deploy"),
    ("/Monitor", "Monitor"),
]


# --------------------------------------------------------------------------- browser presence
def require_chromium() -> None:
    """Skip (or fail in CI, MLOPS_STUDIO_REQUIRE_BROWSER=1) when chromium or playwright is missing."""
    problems = []
    if not Path(CHROMIUM_PATH).exists():
        problems.append(f"{CHROMIUM_PATH} is missing (install it: apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package 'playwright' is missing (pip install -e '.[test]')")
    if not problems:
        return
    message = "browser tests cannot run: " + "; ".join(problems)
    if os.environ.get("MLOPS_STUDIO_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " — MLOPS_STUDIO_REQUIRE_BROWSER=1 requires them.", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------- the Streamlit server
def get_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    """One `streamlit run app.py` in its own process group, with its own workspace."""

    port: int
    workspace: Path
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def is_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=2) as resp:
                return resp.status == 200 and resp.read().strip() == b"ok"
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> StreamlitServer:
        env = dict(os.environ, MLOPS_STUDIO_WORKSPACE=str(self.workspace), PYTHONUNBUFFERED="1")
        streamlit_bin = REPO_ROOT / ".venv" / "bin" / "streamlit"
        command = [
            str(streamlit_bin) if streamlit_bin.exists() else shutil.which("streamlit") or "streamlit",
            "run", "app.py",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        RUNNING_SERVERS.append(self)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.is_healthy():
                return self
            time.sleep(0.25)
        reason = (
            f"exited with status {self.process.returncode}"
            if self.process.poll() is not None
            else f"did not answer /_stcore/health within {SERVER_START_TIMEOUT_S} s"
        )
        self.stop()
        pytest.fail(f"Streamlit server {reason}. Last log lines:\n{self.log_tail()}", pytrace=False)

    def stop(self) -> None:
        if self in RUNNING_SERVERS:
            RUNNING_SERVERS.remove(self)
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


RUNNING_SERVERS: list[StreamlitServer] = []


def new_server(root: Path, name: str) -> StreamlitServer:
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    workspace = workdir / "workspace"
    workspace.mkdir()
    return StreamlitServer(port=get_free_port(), workspace=workspace, log_path=workdir / "streamlit.log")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    require_chromium()  # no point serving the app if no browser can look at it
    server = new_server(tmp_path_factory.mktemp("e2e-shared"), "shared").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(app_server: StreamlitServer) -> str:
    return app_server.base_url


@pytest.fixture
def start_fresh_server(tmp_path: Path) -> Iterator[Callable[[], StreamlitServer]]:
    """Factory: each call starts another server nobody has requested a page from yet."""
    require_chromium()
    servers: list[StreamlitServer] = []

    def start() -> StreamlitServer:
        server = new_server(tmp_path, f"fresh{len(servers)}")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------- browser and page
@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so fixtures can see whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    the_page = context.new_page()
    console_errors: list[str] = []
    the_page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    yield the_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = "FAILED_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            shot(the_page, name)
            print(f"\nscreenshot of the failure: {SCREENSHOT_DIR / (name + '.png')}")
            print(f"page URL at failure: {the_page.url}")
        except Exception as exc:  # a broken page must not hide the real failure
            print(f"\n(could not take a failure screenshot: {exc})")
        if console_errors:
            print("browser page errors:\n" + "\n".join(console_errors[-10:]))
        for server in RUNNING_SERVERS:
            print(f"last lines of the server log ({server.log_path}):\n{server.log_tail(40)}")
    context.close()


# --------------------------------------------------------------------------- helpers
def script_state(page) -> str | None:
    return page.evaluate(
        "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') ?? null"
    )


def wait_idle(page, timeout: int = 60_000, settle_ms: int = 400) -> None:
    """Wait until the app's script is not running, and stays so for `settle_ms`.

    After a click the rerun may not have started yet; give it a short chance to start, and
    tolerate that it may be already over (or never needed). While a job runs, the page polls
    every second, so "idle" means idle between two polls.
    """
    deadline = time.monotonic() + timeout / 1000
    page.wait_for_selector("[data-testid=stApp]", state="attached", timeout=timeout)
    # A short window for a requested rerun to begin.
    start_deadline = time.monotonic() + 0.6
    while time.monotonic() < start_deadline and script_state(page) == "notRunning":
        time.sleep(0.05)
    idle_since: float | None = None
    while True:
        state = script_state(page)
        now = time.monotonic()
        if state == "notRunning":
            idle_since = idle_since or now
            if now - idle_since >= settle_ms / 1000:
                return
        else:
            idle_since = None
        if now > deadline:
            raise AssertionError(f"the app was still busy after {timeout / 1000:.0f} s (script state {state!r})")
        time.sleep(0.05)


def goto(page, base_url: str, path: str = "/", timeout: int = FIRST_LOAD_TIMEOUT_MS) -> None:
    """Open `path` (may carry a query string) and wait for the script to finish."""
    page.goto(base_url.rstrip("/") + path, wait_until="domcontentloaded", timeout=timeout)
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && ['running','notRunning'].includes(a.getAttribute('data-test-script-state')); }",
        timeout=timeout,
    )
    wait_idle(page, timeout=timeout)


def main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def assert_no_exception(page, where: str = "") -> None:
    """No uncaught exception box and no traceback text anywhere on the page."""
    label = f" ({where})" if where else ""
    exceptions = page.locator("[data-testid=stException]")
    if exceptions.count():
        raise AssertionError(f"the page shows an exception{label}:\n{exceptions.first.inner_text()[:2000]}")
    body = page.locator("body").inner_text()
    for marker in ("Traceback", "This app has encountered an error"):
        assert marker not in body, f"the page shows {marker!r}{label}:\n{body[:2000]}"


def error_texts(page) -> list[str]:
    """The visible st.error messages (hidden ones, e.g. in a closed expander, read as '')."""
    texts = page.locator("[data-testid=stAlertContentError]").all_inner_texts()
    return [t.strip() for t in texts if t.strip()]


MAIN_CHARTS = "[data-testid=stMain] [data-testid=stPlotlyChart]"


def wait_for_monitor_charts(page, timeout_s: float, what: str) -> None:
    """Poll until a run started on Home lands on Monitor with its charts, failing early on an
    exception, or on an error while still on Home (a failed job shows st.error there)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert_no_exception(page, f"while {what} runs")
        if "/Monitor" in page.url:
            if page.locator(MAIN_CHARTS).count() > 0:
                return
        else:
            errors = error_texts(page)
            assert not errors, f"{what} reported an error: {errors}"
        page.wait_for_timeout(1000)
    raise AssertionError(
        f"{what} did not reach Monitor with charts in {timeout_s:.0f} s; URL {page.url}; "
        f"main text: {main_text(page)[:800]}"
    )


def shot(page, name: str) -> Path:
    """Screenshot the main area, whole: grow the viewport to the content first (Streamlit
    scrolls inside stMain, so a full-page screenshot would miss the bottom)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / (name if name.endswith(".png") else name + ".png")
    original = page.viewport_size or VIEWPORT
    content_height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]'); return m ? m.scrollHeight : 0; }"
    )
    tall = max(original["height"], min(int(content_height or 0) + 50, 8000))
    try:
        if tall != original["height"]:
            page.set_viewport_size({"width": original["width"], "height": tall})
            page.wait_for_timeout(300)
        page.locator("[data-testid=stMain]").screenshot(path=str(path), timeout=15_000)
    finally:
        if tall != original["height"]:
            page.set_viewport_size(original)
    return path


def click_key(page, key: str, timeout: int = 60_000) -> None:
    """Click the button inside the widget with this key, then wait for the rerun to end."""
    button = page.locator(f".st-key-{key} button").first
    button.wait_for(state="visible", timeout=30_000)
    button.click()
    wait_idle(page, timeout=timeout)


def fill_text(page, key: str, value: str) -> None:
    """Type into a keyed text input and commit the value (Tab blurs it, which sends it)."""
    box = page.locator(f".st-key-{key} input, .st-key-{key} textarea").first
    box.fill(value)
    box.press("Tab")
    wait_idle(page)


def select_option(page, key: str, option_text: str, exact: bool = False) -> None:
    """Choose an option of a keyed st.selectbox (a react-aria combobox) by its visible text.

    A rerun that starts while the list is open redraws the page under it (the click lands on the
    redrawn page): then the list is closed and the choice made again, up to three times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for attempt in range(3):
        wait_idle(page)
        box = page.locator(f".st-key-{key} input[role=combobox]").first
        box.click()
        box.fill(option_text)  # typing filters the (virtualised) list down to the wanted option
        listbox = page.locator("[role=listbox]").last
        listbox.wait_for(state="visible", timeout=10_000)
        options = listbox.locator("[role=option]")
        if exact:
            options = options.filter(has_text=re.compile(rf"^\s*{re.escape(option_text)}\s*$"))
        else:
            options = options.filter(has_text=option_text)
        try:
            options.first.click(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    wait_idle(page)


def selected_option(page, key: str) -> str:
    """The text a keyed st.selectbox currently shows."""
    return page.locator(f".st-key-{key} input[role=combobox]").first.input_value(timeout=10_000).strip()


def project_id_from_url(url: str) -> str | None:
    values = parse_qs(urlparse(url).query).get("project")
    return values[0] if values else None


def sidebar_link(page, stage: str):
    """The app's own navigation link for a stage (st.page_link in the sidebar)."""
    links = page.locator("[data-testid=stSidebar] [data-testid=stPageLink] a")
    # Match the label only: a material icon's ligature name (e.g. "table_view") is text too.
    label = page.locator("[data-testid=stMarkdownContainer]", has_text=re.compile(rf"^\s*{re.escape(stage)}\b"))
    return links.filter(has=label)


def dataframe_rows(
    frame, timeout: int = 15_000, until: Callable[[list[list[str]]], bool] | None = None
) -> list[list[str]]:
    """The cells of an st.dataframe / st.data_editor as text, header row first (the index column
    included), read from the grid's accessibility table. The grid draws on a canvas and fills
    that table a moment after the rerun, and only for the rows in view; poll until it has data
    rows (and, given `until`, until `until(rows)` holds)."""
    script = (
        "f => [...f.querySelectorAll('table[role=grid] tr')]"
        ".map(r => [...r.querySelectorAll('th,td')].map(c => (c.textContent || '').trim()))"
    )
    deadline = time.monotonic() + timeout / 1000
    rows: list[list[str]] = []
    while True:
        rows = frame.evaluate(script)
        if len(rows) > 1 and (until is None or until(rows)):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the table did not show the expected cells within {timeout / 1000:.0f} s; it shows: {rows[:12]}"
            )
        time.sleep(0.2)

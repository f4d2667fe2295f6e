"""One student in the classroom: a websocket session that clicks like a person.

Opens Home, then visits every stage page in its own order; on each page it changes one real widget
(a selectbox or slider of the main area, found in the page's deltas) and thinks a little between
clicks (``THINK_S`` by default: a student following the teacher reads the page before the next click). Each rerun is timed from the BackMsg sent to the ``script_finished`` message.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import websockets

from tests.load.protocol import STREAM_PATH, SUBPROTOCOL, Page, RunState, read_message, rerun_message, widget_value

RERUN_TIMEOUT_S = 120.0

# Seconds between two clicks of a student following the teacher (uniform in this range; `--think`).
# Every page answers a click with a chart and its one plain sentence (20-30 words): reading that at
# ~200 words a minute and glancing at the chart takes 8 s or more; the teacher talks about the chart
# before moving on, so the next click comes within ~25 s. (3-10 s, the old default, is a student
# clicking as fast as the pages come, without reading: 2.5 times the pace of a class.)
THINK_S = (8.0, 25.0)
HOME = "Home"


@dataclass
class Timing:
    page: str  # the page's name ("Home", "Data", ...)
    action: str  # "open" (page switch) | "widget" (a widget changed)
    seconds: float
    error: str | None = None


@dataclass
class Student:
    number: int
    url: str  # http://host:port
    query_string: str  # "project=1"
    think_s: tuple[float, float] = THINK_S
    rounds: int = 1
    seed: int = 0
    timings: list[Timing] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def _ws_url(self) -> str:
        return self.url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + STREAM_PATH

    async def _rerun(self, socket, page: str, action: str, message: bytes) -> RunState:
        """Send one rerun and read until it finishes; record its time (or its error)."""
        state = RunState(pages=list(self.pages))
        started = time.perf_counter()
        error = None
        try:
            await socket.send(message)
            async with asyncio.timeout(RERUN_TIMEOUT_S):
                while not state.finished:
                    read_message(await socket.recv(), state)
        except TimeoutError:
            error = f"no script_finished within {RERUN_TIMEOUT_S:.0f} s"
        except websockets.ConnectionClosed as exc:
            error = f"connection closed: {exc}"
        elapsed = time.perf_counter() - started
        if error is None and state.errors:
            error = state.errors[0]
        self.timings.append(Timing(page, action, elapsed, error))
        if state.pages:
            self.pages = state.pages
        if error and not state.finished:
            raise ConnectionError(error)
        return state

    async def _think(self, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(*self.think_s))

    async def run(self) -> None:
        rng = random.Random(self.seed * 1000 + self.number)
        async with websockets.connect(
            self._ws_url(), subprotocols=[SUBPROTOCOL], max_size=None, open_timeout=60, ping_interval=None
        ) as socket:
            try:
                await self._session(socket, rng)
            except ConnectionError:
                return  # recorded as an error in the timings; this student stops

    async def _session(self, socket, rng: random.Random) -> None:
        state = await self._rerun(socket, HOME, "open", rerun_message(self.query_string))
        await self._change_widget(socket, rng, HOME, "", state)
        stages = [p for p in self.pages if p.url_path]
        for _round in range(self.rounds):
            order = stages[:]
            rng.shuffle(order)
            for page in order + [self._home()]:
                await self._think(rng)
                message = rerun_message(self.query_string, page.script_hash, page.url_path)
                name = page.name if page.url_path else HOME
                state = await self._rerun(socket, name, "open", message)
                await self._change_widget(socket, rng, name, page.script_hash, state, page.url_path)

    def _home(self) -> Page:
        return next((p for p in self.pages if not p.url_path), Page("", HOME, ""))

    async def _change_widget(
        self, socket, rng: random.Random, name: str, script_hash: str, state: RunState, url_path: str = ""
    ) -> None:
        """Change one selectbox or slider of the page, if it has one, as a student would."""
        widgets = sorted(state.widgets.values(), key=lambda w: w.id)
        if not widgets:
            return
        await self._think(rng)
        widget = rng.choice(widgets)
        value = widget_value(widget, rng.randrange(1000))
        page_hash = script_hash or state.current_page
        # As the browser does: a widget inside an st.fragment reruns that fragment only.
        message = rerun_message(self.query_string, page_hash, url_path, [value], widget.fragment_id)
        await self._rerun(socket, name, "widget", message)

"""Streamlit's websocket protocol, as much of it as a student's browser uses.

The browser speaks protobuf over ``/_stcore/stream`` (subprotocol ``streamlit``): it sends a
``BackMsg`` whose ``rerun_script`` carries the page, the query string and the widget values, and the
server answers with ``ForwardMsg``s (``new_session``, ``navigation``, ``delta``s, and finally
``script_finished``). These functions build the one and read the others, with no network, so they
are unit-tested on their own; ``tests/load/student.py`` puts them on a socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

SUBPROTOCOL = "streamlit"
STREAM_PATH = "/_stcore/stream"
MAIN, SIDEBAR = 0, 1  # the first number of a delta's path: which root container the element is in

# script_finished values: the run is over (the app is idle) or another run follows at once.
FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
FINISHED_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
FINISHED_COMPILE_ERROR = ForwardMsg.FINISHED_WITH_COMPILE_ERROR


@dataclass(frozen=True)
class Page:
    """One page of the app as the navigation message lists it."""

    script_hash: str
    name: str
    url_path: str  # "" for the main page (Home), else e.g. "Data"


@dataclass(frozen=True)
class Widget:
    """A widget a student can change: its id, kind and what it can take."""

    id: str
    kind: str  # "selectbox" | "slider"
    label: str
    options: tuple[str, ...] = ()  # selectbox: the option labels the browser sends back
    current: str | None = None  # selectbox: the label shown now
    low: float = 0.0  # slider: range and step
    high: float = 0.0
    step: float = 1.0
    value: tuple[float, ...] = ()  # slider: the handle(s) now
    is_range: bool = False
    fragment_id: str = ""  # the st.fragment it is drawn in: changing it reruns that fragment only


def widget_value(widget: Widget, choice: int) -> WidgetState:
    """The WidgetState the browser sends when the student picks another value (`choice` seeds which).

    A selectbox sends the label of the option (Streamlit 1.67 ``string_value``); a slider sends
    its handle(s) as ``double_array_value``. The value always differs from the current one when
    the widget has more than one value to give."""
    state = WidgetState(id=widget.id)
    if widget.kind == "selectbox":
        others = [o for o in widget.options if o != widget.current] or list(widget.options)
        state.string_value = others[choice % len(others)]
    elif widget.kind == "slider":
        steps = max(int(round((widget.high - widget.low) / widget.step)), 1)
        current = widget.value[0] if widget.value else widget.low
        target = widget.low + ((choice % steps) + 1) * widget.step
        if abs(target - current) < widget.step / 2:
            target = widget.low
        target = min(max(target, widget.low), widget.high)
        values = [min(current, target), max(current, target)] if widget.is_range else [target]
        state.double_array_value.data.extend(values)
    else:  # pragma: no cover - only the kinds above are collected
        raise ValueError(f"cannot change a {widget.kind}")
    return state


def rerun_message(
    query_string: str = "",
    page_script_hash: str = "",
    page_name: str = "",
    widget_states: list[WidgetState] | None = None,
    fragment_id: str = "",
) -> bytes:
    """A serialized BackMsg asking the server to run a page, as the browser sends it on a page
    switch (another `page_script_hash`) or a widget change (new `widget_states`; with the
    `fragment_id` of the st.fragment the widget is in, the server reruns that fragment only)."""
    msg = BackMsg()
    client_state = msg.rerun_script
    client_state.query_string = query_string
    client_state.page_script_hash = page_script_hash
    client_state.page_name = page_name
    if fragment_id:
        client_state.fragment_id = fragment_id
    client_state.widget_states.widgets.extend(widget_states or [])
    client_state.context_info.timezone = "UTC"
    client_state.context_info.locale = "en-US"
    return msg.SerializeToString()


@dataclass
class RunState:
    """What the messages of one script run said: pages, widgets, errors, and whether it finished."""

    pages: list[Page] = field(default_factory=list)
    current_page: str = ""  # the script hash of the page that ran
    widgets: dict[str, Widget] = field(default_factory=dict)  # main-area widgets, by id
    errors: list[str] = field(default_factory=list)
    finished: bool = False
    page_not_found: bool = False


def _pages_from(app_pages) -> list[Page]:
    return [Page(p.page_script_hash, p.page_name, p.url_pathname) for p in app_pages]


def _widget_from(element, fragment_id: str = "") -> Widget | None:
    """A selectbox or numeric slider a student can change; none inside a form (the browser sends a
    form's values only with its submit button, so changing one reruns nothing)."""
    kind = element.WhichOneof("type")
    if kind in ("selectbox", "slider") and getattr(element, kind).form_id:
        return None
    if kind == "selectbox":
        box = element.selectbox
        if box.disabled or len(box.options) < 2:
            return None
        current = box.raw_value if box.HasField("raw_value") else None
        if current is None and box.HasField("default"):
            current = box.options[box.default] if 0 <= box.default < len(box.options) else None
        return Widget(box.id, "selectbox", box.label, tuple(box.options), current, fragment_id=fragment_id)
    if kind == "slider":
        slider = element.slider
        # Numeric sliders only (a select_slider carries options; dates are kept out for simplicity).
        if slider.disabled or slider.options or slider.max <= slider.min or slider.data_type > 1:
            return None
        value = tuple(slider.value) or tuple(slider.default)
        return Widget(
            slider.id, "slider", slider.label, low=slider.min, high=slider.max,
            step=slider.step or 1.0, value=value, is_range=len(value) == 2, fragment_id=fragment_id,
        )  # fmt: skip
    return None


def read_message(data: bytes, state: RunState) -> ForwardMsg:
    """Parse one ForwardMsg from the server and fold what matters into `state`."""
    msg = ForwardMsg()
    msg.ParseFromString(data)
    kind = msg.WhichOneof("type")
    if kind == "new_session":
        if msg.new_session.app_pages:
            state.pages = _pages_from(msg.new_session.app_pages)
        state.current_page = msg.new_session.page_script_hash
    elif kind == "navigation":
        if msg.navigation.app_pages:
            state.pages = _pages_from(msg.navigation.app_pages)
        state.current_page = msg.navigation.page_script_hash or state.current_page
    elif kind == "page_not_found":
        state.page_not_found = True
        state.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
    elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        if element.WhichOneof("type") == "exception" and not element.exception.is_warning:
            state.errors.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif list(msg.metadata.delta_path[:1]) == [MAIN]:
            widget = _widget_from(element, msg.delta.fragment_id)
            if widget is not None:
                state.widgets[widget.id] = widget
    elif kind == "script_finished":
        if msg.script_finished == FINISHED_COMPILE_ERROR:
            state.errors.append("the script did not compile")
            state.finished = True
        elif msg.script_finished in FINISHED_OK:
            state.finished = True
        # FINISHED_EARLY_FOR_RERUN: st.rerun() or a newer request; the next run's end is the end.
    return msg

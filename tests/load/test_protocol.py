"""The load client's messages: what it sends is what the server reads, and it reads what the server sends."""

from __future__ import annotations

import math
from types import SimpleNamespace

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.load.protocol import RunState, Widget, read_message, rerun_message, widget_value
from tests.load.report import format_table, percentile, summarize


def _forward(build) -> bytes:
    msg = ForwardMsg()
    build(msg)
    return msg.SerializeToString()


def test_rerun_message_carries_page_query_and_widgets():
    state = widget_value(Widget("w1", "selectbox", "Model", ("a", "b", "c"), current="a"), 1)
    data = rerun_message("project=3", "hash-data", "Data", [state])
    msg = BackMsg()
    msg.ParseFromString(data)
    assert msg.WhichOneof("type") == "rerun_script"
    client = msg.rerun_script
    assert (client.query_string, client.page_script_hash, client.page_name) == ("project=3", "hash-data", "Data")
    assert [w.id for w in client.widget_states.widgets] == ["w1"]
    assert client.widget_states.widgets[0].string_value == "c"
    assert not client.cached_message_hashes  # so the server sends every message whole, never a ref_hash


def test_selectbox_value_is_another_option():
    widget = Widget("w", "selectbox", "Metric", ("f1", "accuracy"), current="f1")
    assert {widget_value(widget, n).string_value for n in range(5)} == {"accuracy"}


def test_slider_value_moves_within_range():
    widget = Widget("s", "slider", "Threshold", low=0.0, high=1.0, step=0.1, value=(0.5,))
    for n in range(30):
        (value,) = widget_value(widget, n).double_array_value.data
        assert 0.0 <= value <= 1.0 and not math.isclose(value, 0.5)
    ranged = Widget("r", "slider", "Range", low=0, high=10, step=1, value=(2.0, 8.0), is_range=True)
    low, high = widget_value(ranged, 4).double_array_value.data
    assert low <= high


def test_reading_a_run_collects_pages_widgets_errors_and_its_end():
    state = RunState()

    def navigation(msg):
        for name, path in (("app", ""), ("Data", "Data")):
            page = msg.navigation.app_pages.add()
            page.page_script_hash, page.page_name, page.url_pathname = f"h-{name}", name, path
        msg.navigation.page_script_hash = "h-Data"

    def main_selectbox(msg):
        msg.metadata.delta_path.extend([0, 3])
        box = msg.delta.new_element.selectbox
        box.id, box.label, box.default = "$$ID-main", "Model", 0
        box.options.extend(["one", "two"])

    def sidebar_selectbox(msg):
        msg.metadata.delta_path.extend([1, 0])
        box = msg.delta.new_element.selectbox
        box.id, box.label = "$$ID-project", "Project"
        box.options.extend(["p1", "p2"])

    def exception(msg):
        msg.metadata.delta_path.extend([0, 4])
        msg.delta.new_element.exception.type = "KeyError"
        msg.delta.new_element.exception.message = "'x'"

    def warning(msg):
        msg.metadata.delta_path.extend([0, 5])
        msg.delta.new_element.exception.is_warning = True

    def form_slider(msg):
        msg.metadata.delta_path.extend([0, 6, 0])
        slider = msg.delta.new_element.slider
        slider.id, slider.form_id, slider.min, slider.max, slider.step = "$$ID-form", "f1", 0, 10, 1

    def main_slider(msg):
        msg.metadata.delta_path.extend([0, 7])
        slider = msg.delta.new_element.slider
        slider.id, slider.min, slider.max, slider.step = "$$ID-slider", 1, 12, 1
        slider.value.append(6)

    for build in (navigation, main_selectbox, sidebar_selectbox, exception, warning, form_slider, main_slider):
        read_message(_forward(build), state)
    assert [p.url_path for p in state.pages] == ["", "Data"] and state.current_page == "h-Data"
    # The sidebar's project picker is not a student's click; a form's slider reruns nothing.
    assert list(state.widgets) == ["$$ID-main", "$$ID-slider"]
    assert state.widgets["$$ID-slider"].value == (6.0,)
    assert state.widgets["$$ID-main"].current == "one"
    assert state.errors == ["KeyError: 'x'"]
    assert not state.finished

    read_message(_forward(lambda m: setattr(m, "script_finished", ForwardMsg.FINISHED_EARLY_FOR_RERUN)), state)
    assert not state.finished  # st.rerun(): the run that follows is the one timed
    read_message(_forward(lambda m: setattr(m, "script_finished", ForwardMsg.FINISHED_SUCCESSFULLY)), state)
    assert state.finished


def test_percentiles_and_summary():
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert math.isnan(percentile([], 50))
    timings = [
        SimpleNamespace(page="Data", action="open", seconds=1.0, error=None),
        SimpleNamespace(page="Data", action="widget", seconds=3.0, error=None),
        SimpleNamespace(page="Home", action="open", seconds=0.5, error="KeyError: 'x'"),
    ]
    summary = summarize(timings)
    assert list(summary["pages"]) == ["Home", "Data", "all"]
    assert summary["pages"]["Data"] | {"first_errors": []} == {
        "reruns": 2, "widget_changes": 1, "p50_s": 1.0, "p95_s": 3.0, "max_s": 3.0, "errors": 0, "first_errors": [],
    }  # fmt: skip
    assert summary["pages"]["Home"]["errors"] == 1 and summary["pages"]["Home"]["p95_s"] is None
    assert summary["pages"]["all"]["reruns"] == 3
    table = format_table(summary)
    assert "KeyError" in table and "Data" in table


def test_a_widget_in_a_fragment_reruns_its_fragment_only():
    def widget_delta(msg):
        msg.metadata.delta_path[:] = [0, 4]
        msg.delta.fragment_id = "frag-1"
        box = msg.delta.new_element.selectbox
        box.id, box.label = "w9", "Distribution of"
        box.options[:] = ["a", "b"]

    state = RunState()
    read_message(_forward(widget_delta), state)
    widget = state.widgets["w9"]
    assert widget.fragment_id == "frag-1"
    msg = BackMsg()
    msg.ParseFromString(rerun_message("project=1", "hash", "Data", [widget_value(widget, 0)], widget.fragment_id))
    assert msg.rerun_script.fragment_id == "frag-1"
    msg.ParseFromString(rerun_message("project=1", "hash", "Data"))
    assert not msg.rerun_script.fragment_id  # a page switch reruns the whole page

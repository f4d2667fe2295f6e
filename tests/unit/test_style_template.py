"""The studio's template is set cheaply, with exactly the JSON plotly's own (slow) path gives."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio

from core.style import TEMPLATE, set_template, style_figure


def _figure() -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[3, 1]))


def test_set_template_gives_the_same_figure_as_update_layout():
    slow = _figure().update_layout(template=TEMPLATE, height=300, title="t")
    fast = style_figure(_figure(), title="t", height=300)
    assert json.dumps(slow.to_plotly_json(), sort_keys=True) == json.dumps(fast.to_plotly_json(), sort_keys=True)


def test_the_registered_template_is_never_changed():
    fig = _figure()
    set_template(fig, TEMPLATE)
    fig.layout.template.layout.font.size = 99
    assert pio.templates[TEMPLATE].layout.font.size != 99
    other = _figure()
    set_template(other, TEMPLATE)
    assert other.layout.template.layout.font.size != 99
    other.update_layout(xaxis_title="still validated")  # the figure checks its own edits again
    try:
        other.update_layout(no_such_property=1)
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("validation stayed off after set_template")

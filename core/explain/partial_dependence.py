"""Partial dependence and ICE on the whole model pipeline: set one input column of a sample of rows
to each value of a grid and predict. Each row's curve is its ICE line ("this customer, with only
tenure changed"); their average is the partial dependence. Works on the raw input columns, so a
category is switched as a whole and the preprocessing runs as in production.

Classification answers in the probability of the explained class, regression in the target's units.
The grid is the feature's values between its 5th and 95th percentiles (at most ``GRID_POINTS``,
the distinct values when fewer, as scikit-learn's ``partial_dependence`` does), or its most common
categories; one ``predict`` call covers every row and grid value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.explain.probability import SPACE_PROBABILITY, SPACE_VALUE, format_effect, format_output
from core.i18n import _
from core.style import ACCENT, MUTED, TEMPLATE, plot_text, plot_texts
from core.workspace.errors import ConfigError

GRID_POINTS = 20
SAMPLE_ROWS = 100
MAX_CATEGORIES = 15
ICE_LINES_SHOWN = 60
PERCENTILES = (0.05, 0.95)


@dataclass(frozen=True, eq=False)
class PartialDependence:
    feature: str
    kind: str  # "numeric", "date" or "categorical"
    grid: list  # the values the feature was set to
    average: np.ndarray  # (grid,) the partial dependence
    ice: np.ndarray  # (rows, grid) one line per sampled row
    output: str  # what the numbers are, e.g. "probability of churn = Yes"
    space: str  # SPACE_PROBABILITY or SPACE_VALUE


def get_grid(values: pd.Series, grid_points: int = GRID_POINTS) -> tuple[str, list]:
    """(kind, grid) for one input column: numbers and dates between the 5th and 95th percentiles,
    categories by frequency."""
    present = values.dropna()
    if present.empty:
        raise ConfigError(
            _("The column '{name}' has no values to vary; choose another feature.").format(name=values.name)
        )
    if pd.api.types.is_bool_dtype(values):
        return "categorical", sorted(present.unique().tolist())
    if pd.api.types.is_numeric_dtype(values):
        numbers = np.unique(present.to_numpy(dtype=float))
        if len(numbers) <= grid_points:
            return "numeric", numbers.tolist()
        low, high = np.quantile(present.to_numpy(dtype=float), PERCENTILES)
        if low == high:
            return "numeric", [float(low)]
        return "numeric", np.linspace(low, high, grid_points).tolist()
    if pd.api.types.is_datetime64_any_dtype(values):
        epoch = pd.Timestamp("1970-01-01")
        seconds = ((present - epoch) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
        low, high = np.quantile(seconds, PERCENTILES)
        grid = np.unique(np.linspace(low, high, grid_points).round())
        return "date", [epoch + pd.Timedelta(seconds=float(v)) for v in grid]
    return "categorical", list(present.astype(str).value_counts().index[:MAX_CATEGORIES])


def get_partial_dependence(
    pipeline,
    X: pd.DataFrame,
    feature: str,
    task: str,
    *,
    class_index: int = 1,
    output: str = "prediction",
    grid: list | None = None,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
) -> PartialDependence:
    """Partial dependence and ICE of ``feature`` on a random sample of at most ``sample_rows`` of ``X``."""
    if feature not in X.columns:
        raise ConfigError(
            _("The model has no input column '{feature}'; choose one of its features.").format(feature=feature)
        )
    kind, default_grid = get_grid(X[feature])
    grid = default_grid if grid is None else list(grid)
    rng = np.random.default_rng(seed)
    positions = np.sort(rng.choice(len(X), min(sample_rows, len(X)), replace=False))
    sample = X.iloc[positions].reset_index(drop=True)
    repeated = sample.loc[np.tile(np.arange(len(sample)), len(grid))].reset_index(drop=True)
    values = pd.Series(np.repeat(np.asarray(grid, dtype=object), len(sample)))
    dtype = X[feature].dtype
    if kind == "numeric":
        whole = bool(np.all(np.mod(np.asarray(grid, dtype=float), 1) == 0))
        values = values.astype(dtype if pd.api.types.is_integer_dtype(dtype) and whole else "float64")
    else:
        values = values.astype(dtype)
    repeated[feature] = values.to_numpy()
    if task == "regression":
        predictions, space = pipeline.predict(repeated), SPACE_VALUE
    else:
        predictions, space = pipeline.predict_proba(repeated)[:, class_index], SPACE_PROBABILITY
    ice = np.asarray(predictions, dtype=float).reshape(len(grid), len(sample)).T
    return PartialDependence(feature, kind, grid, ice.mean(axis=0), ice, output, space)


def plot_partial_dependence(pd_result: PartialDependence) -> go.Figure:
    """Grey ICE lines (one per sampled row) under the thick average line."""
    result = pd_result
    average, ice, grid = result.average, result.ice, list(result.grid)
    if result.kind == "categorical":  # categories from the lowest average to the highest
        order = np.argsort(average, kind="stable")
        average, ice, grid = average[order], ice[:, order], [grid[i] for i in order]
    x = plot_texts(grid) if result.kind == "categorical" else grid
    figure = go.Figure()
    for i, line in enumerate(ice[:ICE_LINES_SHOWN]):
        figure.add_trace(
            go.Scatter(
                x=x,
                y=line,
                mode="lines+markers" if result.kind == "categorical" else "lines",
                line={"color": MUTED, "width": 1},
                marker={"size": 3},
                opacity=0.35,
                name=_("one row (ICE)"),
                legendgroup="ice",
                showlegend=i == 0,
                hoverinfo="skip",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=average,
            mode="lines+markers",
            line={"color": ACCENT, "width": 4},
            name=_("average (partial dependence)"),
            hovertemplate=f"{plot_text(result.feature)} = %{{x}}<br>average %{{y:.3~g}}<extra></extra>",
        )
    )
    probability = result.space == SPACE_PROBABILITY
    figure.update_layout(
        template=TEMPLATE,
        title=plot_text(
            _("If only {feature} changed: the {output}").format(feature=result.feature, output=result.output)
        ),
        xaxis_title=plot_text(result.feature),
        yaxis_title=plot_text(result.output + (_(" (in %)") if probability else "")),
        yaxis={"tickformat": ".0%" if probability else ",~r"},
        legend={"orientation": "h", "y": -0.25},
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def _grid_text(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float):
        return format_output(value, SPACE_VALUE)
    return str(value)


def caption_partial_dependence(pd_result: PartialDependence) -> str:
    """One sentence: how the average prediction moves across the grid, and whether rows agree."""
    result, space = pd_result, pd_result.space
    if len(result.grid) < 2:
        return _("{feature} takes a single value here, so changing it cannot be shown.").format(feature=result.feature)
    if result.kind == "categorical":
        order = np.argsort(result.average)
        low, high = order[0], order[-1]
        text = _(
            "With only {feature} changed, the average {output} is highest for {grid_text} ({output2}) and lowest for {grid_text2} ({output3})"
        ).format(
            feature=result.feature,
            output=result.output,
            grid_text=_grid_text(result.grid[high]),
            output2=format_output(result.average[high], space),
            grid_text2=_grid_text(result.grid[low]),
            output3=format_output(result.average[low], space),
        )
        first, last = result.ice[:, low], result.ice[:, high]
    else:
        text = _(
            "Moving {feature} from {grid_text} to {grid_text2} with everything else kept moves the average {output} from {output2} to {output3} ({effect})"
        ).format(
            feature=result.feature,
            grid_text=_grid_text(result.grid[0]),
            grid_text2=_grid_text(result.grid[-1]),
            output=result.output,
            output2=format_output(result.average[0], space),
            output3=format_output(result.average[-1], space),
            effect=format_effect(result.average[-1] - result.average[0], space),
        )
        first, last = result.ice[:, 0], result.ice[:, -1]
    direction = np.sign(result.average[-1] - result.average[0]) if result.kind != "categorical" else 1.0
    moves = np.sign(last - first) * direction
    opposite = float(np.mean(moves < 0)) if len(moves) else 0.0
    if direction == 0 or np.allclose(result.ice, result.ice[:, :1]):
        return text + _("; no row's prediction depends on it.")
    if opposite >= 0.2:
        return text + _(
            "; but {opposite} of the rows (grey lines) move the other way: the effect depends on other features."
        ).format(opposite=f"{opposite:.0%}")
    return text + _("; the grey lines (one per row) mostly move the same way.")

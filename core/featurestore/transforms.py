"""Computing a definition's values, vectorised: the row-level expression on every event, then the
aggregate per entity over a time window (``groupby`` + ``rolling`` on the timestamps; ``last`` through
``merge_asof``). No loop over rows or entities.

Two ways to read a definition:

- ``values_at``: its value for given (entity, moment) pairs, the moments of labelled rows. The window
  is ``[moment - window, moment)`` (``WINDOW_CLOSED``): events stamped exactly at the moment are left
  out, for the reasons in ``core.featurestore.definitions``. This is what training sets use: a window
  that slid past an old event no longer counts it.
- ``materialise``: one value right after each source event (the window ``(t - window, t]`` at the
  event's time ``t``, every event of that instant included), the rows an offline store keeps and the
  naive join reads. Read at a later moment, a windowed value may still count events that have since
  left the window; ``values_at`` does not have that staleness.

An empty window gives 0 for ``count`` and ``sum`` and no value (NaN) for the others (missing history).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.featurestore.definitions import Expression, FeatureDefinition
from core.i18n import _
from core.workspace.errors import DataError

WINDOW_CLOSED = "left"  # values_at: [moment - window, moment)
MATERIALISED_CLOSED = "right"  # materialise: (t - window, t]
NUMERIC_AGGREGATES = ("sum", "mean", "min", "max")


def as_time(values: pd.Series, column: str) -> pd.Series:
    """A column as naive datetimes (nanoseconds; time-zone aware ones in UTC); unreadable cells NaT.
    A column with no readable time at all is a DataError naming it."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        times = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(values):
        times = values
    else:
        times = pd.to_datetime(values, errors="coerce", format="mixed")
    if len(values) and times.isna().all():
        raise DataError(
            _(
                "The timestamp column '{column}' holds no readable date or time; pick the column of the event times."
            ).format(column=column)
        )
    return times.astype("datetime64[ns]")


def evaluate_expression(expression: Expression | None, frame: pd.DataFrame) -> pd.Series:
    """The expression's value for every row of ``frame`` (None: 1 per row, for counting events)."""
    if expression is None:
        return pd.Series(1.0, index=frame.index)
    missing = [c for c in expression.columns if c not in frame.columns]
    if missing:
        raise DataError(
            _("The column '{column}' the expression {expression} reads is not in the table.").format(
                column=missing[0], expression=expression.describe()
            )
        )
    first = frame[expression.columns[0]]
    if expression.op == "column":
        return first
    if expression.op == "equals":
        return (first == expression.value).astype(float)
    a = _numeric(first, expression)
    if expression.op == "log1p":
        return pd.Series(np.log1p(a.where(a > -1)), index=frame.index)
    if expression.op == "clip":
        return a.clip(lower=expression.lower, upper=expression.upper)
    b = _numeric(frame[expression.columns[1]], expression)
    if expression.op == "ratio":
        return a / b.where(b != 0)
    return a - b  # difference


def _numeric(values: pd.Series, expression: Expression) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    raise DataError(
        _("The expression {expression} needs numbers, but the column '{column}' holds text.").format(
            expression=expression.describe(), column=values.name
        )
    )


def event_values(definition: FeatureDefinition, source: pd.DataFrame) -> pd.DataFrame:
    """The source's events as (entity, time, value), value = the definition's expression; events with
    no readable time are dropped (they cannot be placed before or after anything)."""
    for column in (definition.entity, definition.timestamp):
        if column not in source.columns:
            raise DataError(
                _("The column '{column}' of feature '{name}' is not in its source table.").format(
                    column=column, name=definition.name
                )
            )
    values = evaluate_expression(definition.expression, source)
    if definition.aggregate in NUMERIC_AGGREGATES and not pd.api.types.is_numeric_dtype(values):
        values = _numeric(values, definition.expression or Expression())
    events = pd.DataFrame(
        {
            "entity": source[definition.entity].to_numpy(),
            "time": as_time(source[definition.timestamp], definition.timestamp).to_numpy(),
            "value": values.to_numpy(),
        }
    )
    return events[events["time"].notna() & events["entity"].notna()].reset_index(drop=True)


def _window(definition: FeatureDefinition, times: pd.Series) -> pd.Timedelta:
    """The definition's window, or for the whole history one longer than the data spans."""
    length = definition.window_length()
    if length is not None:
        return length
    span = times.max() - times.min() if len(times) else pd.Timedelta(0)
    return (span if pd.notna(span) else pd.Timedelta(0)) + pd.Timedelta(days=1)


def _rolled(frame: pd.DataFrame, aggregate: str, window: pd.Timedelta, closed: str) -> pd.Series:
    """``aggregate`` of ``value`` over each row's window per entity, aligned to ``frame`` (sorted by
    entity, then time; no missing entity). Rows whose value is NaN (the moments asked about) are in the
    frame but count as no observation. The result comes group by group, each in the frame's order:
    with the frame sorted by entity, that is the frame's own order."""
    min_periods = 0 if aggregate in ("count", "sum") else 1
    rolling = frame.groupby("entity", sort=False).rolling(window, on="time", closed=closed, min_periods=min_periods)
    rolled = getattr(rolling["value"], aggregate)()
    assert len(rolled) == len(frame)
    return pd.Series(rolled.to_numpy(), index=frame.index)


def values_at(
    definition: FeatureDefinition, source: pd.DataFrame, entities: pd.Series, moments: pd.Series
) -> pd.Series:
    """The definition's value for each (entity, moment), from the source events strictly before the
    moment and within its window. Aligned to ``entities``' index; NaN where an entity or moment is
    missing and for mean/min/max/last with no event in the window (an entity never seen: count and sum 0)."""
    from core.featurestore.joins import point_in_time_join, same_keys

    events = event_values(definition, source)
    asked, known_keys = same_keys(entities, events["entity"])  # 7 in one table, "7" in the other
    events["entity"] = known_keys.to_numpy()
    queries = pd.DataFrame({"entity": asked.to_numpy(), "time": as_time(moments, "moment").to_numpy()})
    if definition.aggregate == "last":
        found = point_in_time_join(
            queries,
            events[events["value"].notna()],
            entity="entity",
            label_time="time",
            feature_time="time",
            columns=["value"],
            tolerance=definition.window_length(),
        )
        return pd.Series(found["value"].to_numpy(), index=entities.index, name=definition.name)
    queries["value"] = np.nan
    known = queries["entity"].notna() & queries["time"].notna()
    values = events["value"].astype(float) if definition.aggregate != "count" else events["value"].notna().astype(float)
    frame = pd.concat(
        [events.assign(value=values.to_numpy(), ask=-1), queries[known].assign(ask=np.flatnonzero(known))],
        ignore_index=True,
    )
    # At one instant the moments asked about come before the events: the window ends before the row it
    # belongs to, so an event of the same instant can never be in it, however rolling treats ties.
    frame = frame.assign(is_event=frame["ask"] < 0).sort_values(["entity", "time", "is_event"], kind="stable")
    rolled = _rolled(frame, definition.aggregate, _window(definition, frame["time"]), WINDOW_CLOSED)
    asked = frame["ask"].to_numpy()
    result = np.full(len(queries), np.nan)
    positions = asked >= 0
    result[asked[positions]] = rolled.reindex(frame.index[positions]).to_numpy()
    return pd.Series(result, index=entities.index, name=definition.name)


def materialise(definition: FeatureDefinition, source: pd.DataFrame) -> pd.DataFrame:
    """One row per entity and instant with events: (<entity>, <timestamp>, <definition name>) named as
    in the definition, the value right after that instant's events. Sorted by time, then entity."""
    events = event_values(definition, source)
    if definition.aggregate == "last":
        out = events[events["value"].notna()]
    else:
        values = (
            events["value"].astype(float) if definition.aggregate != "count" else events["value"].notna().astype(float)
        )
        frame = events.assign(value=values.to_numpy()).sort_values(["entity", "time"], kind="stable")
        rolled = _rolled(frame, definition.aggregate, _window(definition, frame["time"]), MATERIALISED_CLOSED)
        out = frame.assign(value=rolled.reindex(frame.index).to_numpy())
        # Every event of an instant sees them all: keep the instant's last row, whose window holds them all.
        out = out.drop_duplicates(["entity", "time"], keep="last")
    out = out.sort_values(["time", "entity"], kind="stable").reset_index(drop=True)[["entity", "time", "value"]]
    return out.rename(columns={"entity": definition.entity, "time": definition.timestamp, "value": definition.name})

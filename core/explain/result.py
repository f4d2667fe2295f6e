"""The ``Explanation`` a run keeps (SHAP values per input column, the explained rows' values, units,
what was sampled) and how it is saved as JSON and read back. A module of its own so pages and
stages can read a saved explanation without loading the explainers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.i18n import _
from core.workspace.errors import DataError
from core.workspace.jsonable import to_strict_json


@dataclass(frozen=True, eq=False)
class Explanation:
    """SHAP values of the explained rows, one column per INPUT feature, in ``output`` units."""

    shap_df: pd.DataFrame
    values_df: pd.DataFrame
    base_value: float
    explainer: str
    output: str
    rows_explained: int
    rows_available: int
    note: str
    seconds: float
    meta: dict[str, Any] = field(default_factory=dict)  # model_key, family, class, target...

    @property
    def predictions(self) -> pd.Series:
        """The explained output of each row: base value plus the row's SHAP values."""
        return self.base_value + self.shap_df.sum(axis=1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (NaN becomes None); ``from_dict`` restores it."""
        return {
            "shap": _frame_to_json(self.shap_df),
            "values": _frame_to_json(self.values_df),
            "base_value": float(self.base_value),
            "explainer": self.explainer,
            "output": self.output,
            "rows_explained": int(self.rows_explained),
            "rows_available": int(self.rows_available),
            "note": self.note,
            "seconds": float(self.seconds),
            "meta": to_strict_json(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        try:
            return cls(
                shap_df=_frame_from_json(data["shap"]),
                values_df=_frame_from_json(data["values"]),
                base_value=float(data["base_value"]),
                explainer=str(data["explainer"]),
                output=str(data["output"]),
                rows_explained=int(data["rows_explained"]),
                rows_available=int(data["rows_available"]),
                note=str(data["note"]),
                seconds=float(data["seconds"]),
                meta=dict(data.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(
                _("The saved explanation is incomplete or damaged ({error}); compute the explanation again.").format(
                    error=error
                )
            ) from error


def _column_kind(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "integer"
    if pd.api.types.is_numeric_dtype(values):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    return "text"


def _frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "index": to_strict_json(list(frame.index)),
        "columns": [
            {"name": str(c), "kind": _column_kind(frame[c]), "values": to_strict_json(list(frame[c]))}
            for c in frame.columns
        ],
    }


def _frame_from_json(data: dict[str, Any]) -> pd.DataFrame:
    index = pd.Index(data["index"])
    columns = {}
    for column in data["columns"]:
        values = column["values"]
        if column["kind"] == "integer" and None not in values:
            series = pd.Series(values, dtype="int64")
        elif column["kind"] in ("numeric", "integer"):
            series = pd.Series([np.nan if v is None else v for v in values], dtype=float)
        elif column["kind"] == "datetime":
            series = pd.to_datetime(pd.Series(values))
        elif column["kind"] == "bool":
            series = pd.Series(values, dtype=bool if None not in values else object)
        else:
            series = pd.Series(values, dtype="str")
        columns[column["name"]] = series.set_axis(index)
    return pd.DataFrame(columns, index=index)

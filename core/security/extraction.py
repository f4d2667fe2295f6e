"""Model extraction (theft through the endpoint): per-key query monitoring that flags the patterns of an
attacker copying the model by asking it many questions.

Works on a plain table of requests: one row per answered row, with the key that asked (``key``), when
(``ts``, seconds since the epoch) and the input columns. Two signals per key:

- **Volume**: requests in the latest window (an hour by default) against the key's own usual count per
  window before it (the median over the windows it was active in); a key with no history is compared
  with a fixed floor. Volume alone also fires for a busy honest client, so it is a warning.
- **Coverage of the input space**: the inputs are put in the cells of a grid over the (up to three)
  features with the most distinct values, numbers cut into equal-width bins over the range training saw,
  categories by value. Real clients ask about real cases, which crowd in the cells where training rows
  are; a thief sweeps the space. A key whose rows cover at least half of the cells as many training
  rows would leave empty (``coverage`` against ``expected_coverage``) and fall much more often in cells training rarely
  reaches (``rare_share`` against ``training_rare_share``) looks like a sweep: critical. (Either alone
  is what drifting honest traffic does too.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.formatting import format_count, format_percent
from core.i18n import _

KEY, TS = "key", "ts"
REPORT_COLUMNS = [
    "key", "requests", "recent", "usual", "volume_flag", "coverage", "expected_coverage", "rare_share",
    "training_rare_share", "coverage_flag", "flagged", "severity", "sentence",
]  # fmt: skip


@dataclass(frozen=True)
class ExtractionConfig:
    window_seconds: float = 3600.0
    volume_factor: float = 5.0  # recent requests above this many times the key's usual count per window
    min_volume: int = 1000  # fewer requests in a window never count as high volume (nor a new key's first)
    min_rows: int = 50  # a key with fewer recent rows is not judged on coverage
    coverage_gain: float = 0.5  # covers at least this share of the cells as many training rows leave empty
    rare_factor: float = 3.0  # a share of rows in rare cells this many times training's
    bins: int = 5
    max_features: int = 3
    rare_cell_share: float = 0.005  # a cell holding less than this share of training rows is rare


@dataclass
class InputGrid:
    """The grid the coverage is measured on, learned from training rows."""

    features: list[str]
    edges: dict[str, np.ndarray] = field(default_factory=dict)  # numbers: inner bin edges
    categories: dict[str, list[str]] = field(default_factory=dict)  # categories: the values kept (others: one cell)
    others: dict[str, bool] = field(default_factory=dict)  # categories: whether training had more values than kept
    training_share: dict[int, float] = field(default_factory=dict)  # cell -> share of training rows
    cells: int = 1
    reference: pd.DataFrame | None = None

    @classmethod
    def learn(cls, reference: pd.DataFrame, config: ExtractionConfig = ExtractionConfig()) -> InputGrid:
        usable = []
        for column in reference.columns:
            values = reference[column].dropna()
            if values.empty or pd.api.types.is_datetime64_any_dtype(values) or values.nunique() < 2:
                continue
            numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            if not numeric and values.nunique() > 0.5 * len(values):  # an identifier: no space to cover
                continue
            usable.append((numeric, min(values.nunique(), 50), str(column)))
        usable.sort(key=lambda u: (-u[0], -u[1]))  # numbers first, the most distinct values first
        grid = cls([u[2] for u in usable[: config.max_features]])
        for feature in grid.features:
            values = reference[feature].dropna()
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                numbers = values.to_numpy(dtype=float)
                low, high = float(numbers.min()), float(numbers.max())
                grid.edges[feature] = np.linspace(low, high, config.bins + 1)[1:-1]
            else:
                counts = values.astype(str).value_counts()
                grid.categories[feature] = [str(v) for v in counts.index[: config.bins]]
                grid.others[feature] = len(counts) > config.bins
        # The cells a row can reach: an "other categories" cell only where training had more values.
        reachable = [grid._size(f) - (0 if grid.others.get(f, True) else 1) for f in grid.features]
        grid.cells = int(np.prod(reachable)) if grid.features else 1
        ids = grid.cell_ids(reference)
        counts = pd.Series(ids).value_counts(normalize=True)
        grid.training_share = {int(k): float(v) for k, v in counts.items()}
        grid.reference = reference
        return grid

    def _size(self, feature: str) -> int:
        return len(self.edges[feature]) + 1 if feature in self.edges else len(self.categories[feature]) + 1

    def cell_ids(self, frame: pd.DataFrame) -> np.ndarray:
        """The grid cell of each row (a missing feature: the last cell of its axis)."""
        ids = np.zeros(len(frame), dtype=np.int64)
        for feature in self.features:
            size = self._size(feature)
            if feature not in frame.columns:
                position = np.full(len(frame), size - 1)
            elif feature in self.edges:
                numbers = pd.to_numeric(frame[feature], errors="coerce").to_numpy(dtype=float)
                position = np.searchsorted(self.edges[feature], numbers, side="right")
                position = np.where(np.isfinite(numbers), position, size - 1)
            else:
                lookup = {v: i for i, v in enumerate(self.categories[feature])}
                position = np.array([lookup.get(str(v), size - 1) for v in frame[feature]], dtype=np.int64)
            ids = ids * size + position
        return ids

    def coverage(self, frame: pd.DataFrame) -> float:
        return min(1.0, len(np.unique(self.cell_ids(frame))) / self.cells) if len(frame) else 0.0

    def rare_share(self, frame: pd.DataFrame, config: ExtractionConfig) -> float:
        if not len(frame):
            return 0.0
        shares = np.array([self.training_share.get(int(c), 0.0) for c in self.cell_ids(frame)])
        return float(np.mean(shares < config.rare_cell_share))

    def expected_coverage(self, rows: int, seed: int = 0) -> float:
        """The share of cells ``rows`` training rows drawn at random cover (a mean of three draws)."""
        if self.reference is None or not rows or self.reference.empty:
            return 0.0
        rng = np.random.default_rng(seed)
        draws = [self.coverage(self.reference.iloc[rng.integers(0, len(self.reference), rows)]) for _draw in range(3)]
        return float(np.mean(draws))


def get_extraction_report(
    requests: pd.DataFrame,
    reference: pd.DataFrame,
    config: ExtractionConfig = ExtractionConfig(),
    *,
    now: float | None = None,
    grid: InputGrid | None = None,
) -> pd.DataFrame:
    """One row per key (REPORT_COLUMNS), flagged keys first: its volume against its own history, its
    coverage of the input space against training rows', and one sentence saying what was seen."""
    if requests.empty:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    grid = grid or InputGrid.learn(reference, config)
    end = float(now if now is not None else requests[TS].max())
    start = end - config.window_seconds
    training_rare = grid.rare_share(reference, config)
    out = []
    for key, group in requests.groupby(KEY, sort=False):
        ts = group[TS].to_numpy(dtype=float)
        recent = group[ts > start]
        earlier = ts[ts <= start]
        usual = (
            float(np.median(np.unique(np.floor((end - earlier) / config.window_seconds), return_counts=True)[1]))
            if earlier.size
            else float("nan")
        )
        floor = config.min_volume if np.isnan(usual) else max(config.min_volume, config.volume_factor * usual)
        volume_flag = len(recent) >= floor
        judged = len(recent) >= config.min_rows
        coverage = grid.coverage(recent) if judged else float("nan")
        expected = grid.expected_coverage(len(recent)) if judged else float("nan")
        rare = grid.rare_share(recent, config) if judged else float("nan")
        coverage_flag = bool(  # both: drifting honest traffic reaches rare cells too, but does not sweep
            judged
            and expected < 1
            and (coverage - expected) / (1 - expected) >= config.coverage_gain
            and rare >= max(config.rare_factor * training_rare, training_rare + 0.05)
        )
        flagged = volume_flag or coverage_flag
        severity = "critical" if coverage_flag else "warning" if volume_flag else ""
        row = {
            "key": str(key),
            "requests": len(group),
            "recent": len(recent),
            "usual": usual,
            "volume_flag": bool(volume_flag),
            "coverage": coverage,
            "expected_coverage": expected,
            "rare_share": rare,
            "training_rare_share": training_rare,
            "coverage_flag": coverage_flag,
            "flagged": bool(flagged),
            "severity": severity,
        }
        row["sentence"] = describe_key(row)
        out.append(row)
    report = pd.DataFrame(out, columns=REPORT_COLUMNS)
    return report.sort_values(["flagged", "recent"], ascending=[False, False], ignore_index=True)


def describe_key(row: dict) -> str:
    """What the monitor saw for one key, in one plain sentence."""
    parts = []
    if row["volume_flag"]:
        usual = row["usual"]
        parts.append(
            _("asked {recent} questions in the last window, against {usual} usually").format(
                recent=format_count(row["recent"]), usual=format_count(usual)
            )
            if not np.isnan(usual)
            else _("asked {recent} questions in the last window, with no history before").format(
                recent=format_count(row["recent"])
            )
        )
    if row["coverage_flag"]:
        parts.append(
            _(
                "its questions cover {coverage} of the input space, where as many real cases cover {expected}, and {rare} of them sit where real cases almost never are ({training} of training rows)"
            ).format(
                coverage=format_percent(row["coverage"], 0),
                expected=format_percent(row["expected_coverage"], 0),
                rare=format_percent(row["rare_share"], 0),
                training=format_percent(row["training_rare_share"], 0),
            )
        )
    if not parts:
        return _("Key {key}: nothing unusual ({recent} questions in the last window).").format(
            key=row["key"], recent=format_count(row["recent"])
        )
    verdict = (
        _("looks like someone copying the model") if row["coverage_flag"] else _("is unusually busy, worth a look")
    )
    return _("Key {key}: {what}. It {verdict}.").format(key=row["key"], what=_("; ").join(parts), verdict=verdict)

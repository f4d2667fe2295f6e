"""Bench data: a bigger telco table, resampled from the sample so it keeps its drivers and its mess."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

_MIN_DISTINCT_TO_JITTER = 20  # fewer distinct values = a flag or a small scale (0/1, 1-10): kept as is
_RELATIVE_JITTER = 0.01  # about 1% noise on measured amounts (charges)


def make_telco_csv(source: Path, path: Path, rows: int, seed: int = 0) -> None:
    """``rows`` rows of ``source`` drawn with replacement (seeded), numbers with many distinct values
    jittered slightly, every row given a new unique ``customer_id``. Cells are kept as text so blanks,
    misspelt categories and outliers survive (the cleaning recipe has the same work as on the sample)."""
    rng = np.random.default_rng(seed)
    sample = pd.read_csv(source, dtype=str, keep_default_na=False)
    out = sample.iloc[rng.integers(0, len(sample), rows)].reset_index(drop=True)
    for column in out.columns:
        if column != "customer_id":
            out[column] = _jitter_text_numbers(out[column], rng)
    out["customer_id"] = [f"B{i:07d}-{code}" for i, code in enumerate(_random_codes(rng, rows))]
    out.to_csv(path, index=False)


def _jitter_text_numbers(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Numbers as text, jittered: decimals by ~1% at their own precision, whole numbers by -1/0/+1
    (never crossing zero); blanks and non-numbers untouched. Other columns are returned as they are."""
    numbers = pd.to_numeric(values, errors="coerce")
    present = numbers.notna().to_numpy()
    if present.mean() < 0.9 or numbers.nunique() < _MIN_DISTINCT_TO_JITTER:
        return values
    x = numbers.to_numpy(dtype="float64")
    decimals = values[present].str.partition(".")[2].str.len().max()
    if decimals:
        jittered = np.round(x * (1 + rng.normal(0, _RELATIVE_JITTER, len(x))), int(decimals))
        text = [f"{v:.{int(decimals)}f}" for v in jittered]
    else:
        shifted = x + rng.integers(-1, 2, len(x))
        jittered = np.where(x >= 0, np.maximum(shifted, 0), np.minimum(shifted, 0))
        text = [str(int(v)) if not np.isnan(v) else "" for v in jittered]
    return values.where(~present, pd.Series(text, index=values.index))


def _random_codes(rng: np.random.Generator, n: int) -> list[str]:
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return ["".join(row) for row in rng.choice(letters, (n, 5))]

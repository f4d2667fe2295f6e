"""Golden comparison of two checkouts' readers: every corpus file and a set of generated awkward files
read by each, then the frames, dtypes and reading reports compared (0 differences expected from a
change that only makes reading faster).

    python tests/unit/data/reader_golden.py BASELINE_ROOT CANDIDATE_ROOT [FOLDER]

BASELINE_ROOT / CANDIDATE_ROOT: folders holding a `core/` package and no `tests/` (e.g. `git archive main
core | tar -x -C /tmp/base`). Each checkout reads in its own process (both are the package `core`). Not a pytest
test (it needs a second checkout); the unit tests pin the behaviour it guards.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BLOCK = 4 * 1024 * 1024  # the reader's parse block: awkward cells are put after the first one


def _numbers(rows: int, late: str, column: int = 1, seed: int = 0, comma: bool = False) -> bytes:
    """A CSV of number columns (~4.7 MB at 170,000 rows) whose `column` holds `late` in its last row;
    `comma`: written as a Portuguese export (';' between values, decimal comma)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "f": rng.normal(100, 10, rows).round(2),
            "i": rng.integers(0, 1000, rows),
            "g": rng.normal(0, 1, rows).round(3),
            "t": rng.choice(["a", "b"], rows),
        }
    )
    sep = ";" if comma else ","
    text = frame.to_csv(index=False, lineterminator="\n", sep=sep, decimal="," if comma else ".")
    lines = text.splitlines()
    last = lines[-1].split(sep)
    last[column] = late
    lines[-1] = sep.join(last)
    return ("\n".join(lines) + "\n").encode()


def generated() -> dict[str, tuple[bytes, dict]]:
    """name -> (file bytes, ReadOptions keyword arguments): cells that a fast path could read unlike
    the full inference, placed after the first parse block, and small files of each awkward kind."""
    files: dict[str, tuple[bytes, dict]] = {}
    late = [
        "007", "+5", "-0", "-07", "0x1F", "nan", "inf", "-inf", "1e400", "1e20", " 5", "5 ", "NA", "N/D", "?",
        "-", "1.5", "1,5", "", "\u00a05", "１", "12345678901234567", "1e5", ".5", "5.", "+.5", "0.0", "00.5",
        "TRUE", "2021-03-05",
    ]  # fmt: skip
    for k, cell in enumerate(late):
        for column in (1, 2):  # a decimal and an integer column
            files[f"late_{k:02d}_col{column}.csv"] = (_numbers(170_000, cell, column, seed=k), {})
    late_comma = [
        "1.5", "1.234", "1.234,5", "1,5", "+1,5", "007", ",5", "5,", "1,5e3", "1e5", "nan", "N/D", " 1,5",
        "1 234,5", "0,0", "00,5", "-0,5", "-0", "1,5,3", "1,5.", "12345678901234567", "1e20", "",
    ]  # fmt: skip
    for k, cell in enumerate(late_comma):
        for column in (1, 2):
            files[f"comma_late_{k:02d}_col{column}.csv"] = (_numbers(170_000, cell, column, seed=k, comma=True), {})
    files["comma_late_na_tokens.csv"] = (_numbers(170_000, "NA", 1, comma=True), {"na_tokens": ("", "NA")})
    files["dot_file_told_comma.csv"] = (_numbers(170_000, "1", 3), {"decimal": ","})
    files["comma_given_thousands.csv"] = (_numbers(170_000, "1.234,5", 1, comma=True), {"thousands": "."})
    files["late_na_tokens.csv"] = (_numbers(170_000, "NA", 2), {"na_tokens": ("", "NA")})
    files["late_no_tokens.csv"] = (_numbers(170_000, "N/D", 2), {"numeric_missing_tokens": False})
    files["quoted_numbers.csv"] = (b'a,b\n"1","2.5"\n"007","3"\n' + b'"4","5.5"\n' * 50, {})
    files["crlf.csv"] = (b"a,b\r\n1,2.5\r\n3,4\r\n", {})
    files["spaces_thousands.csv"] = (b"a;b\n1 234,56;1\n12 345,5;2\n999,1;3\n", {})
    files["nbsp_thousands.csv"] = ("a;b\n1\u00a0234,56;1\n2\u202f000,25;2\n999,1;3\n".encode(), {})
    files["mixed_dates.csv"] = (
        ("d,x\n" + "".join(f"2021-03-{i:02d},{i}\n05/0{i % 9 + 1}/2021,{i}\n" for i in range(1, 9))).encode(),
        {},
    )
    files["decimal_comma_late.csv"] = (("a;b\n" + "1,5;2\n" * 300_000 + "007;3\n").encode(), {})
    files["booleans.csv"] = (b"a,b\nTRUE,1\nFALSE,2\ntrue,3\n", {})
    # Codes with leading zeros (decided from their bytes): with gaps, with a letter late, with '' kept as a value.
    zips = [f"{(k * 7919) % 100000:05d}" if k % 50 else "" for k in range(170_000)]
    files["zero_led_codes.csv"] = (("n,zip\n" + "".join(f"{k},{z}\n" for k, z in enumerate(zips))).encode(), {})
    files["zero_led_late_letter.csv"] = (
        ("zip,n\n" + "".join(f"{z},{k}\n" for k, z in enumerate(zips[1:])) + "A1234,0\n").encode(),
        {},
    )
    files["zero_led_no_tokens.csv"] = (
        ("n,zip\n" + "".join(f"{k},{z}\n" for k, z in enumerate(zips[:3000]))).encode(),
        {"na_tokens": ()},
    )
    return files


def _digest(df: pd.DataFrame) -> dict:
    """What a frame holds, small enough to pickle: names, dtypes, and each column's hash of its
    values (pandas' own, NaN and NaT hashed alike) with its first values to show a difference."""
    return {
        str(name): (
            str(df[name].dtype),
            int(pd.util.hash_pandas_object(df[name], index=False).sum()),
            [repr(v) for v in df[name].head(3).tolist()],
        )
        for name in df.columns
    } | {"__columns__": [str(c) for c in df.columns], "__rows__": len(df)}


def _read_all(folder: Path, out: Path) -> None:
    """Runs in the checkout's process: every file in `folder` read, results pickled to `out`."""
    from core.data.reader import ReadOptions, read_path
    from tests.corpus.make_corpus import cases

    results = {}
    options = {c.name: c.options for c in cases() if not c.limits}
    options.update({name: opts for name, (_, opts) in generated().items()})
    for path in sorted(folder.iterdir()):
        if path.name not in options:
            continue
        try:
            df, info = read_path(path, ReadOptions(**options[path.name]))
            results[path.name] = ("ok", _digest(df), info.to_dict())
        except Exception as exc:  # noqa: BLE001 (a refusal is a result to compare)
            results[path.name] = ("error", type(exc).__name__, str(exc))
    out.write_bytes(pickle.dumps(results))


def _differences(a: dict, b: dict) -> list[str]:
    found = []
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name), b.get(name)
        if x is None or y is None or x[0] != y[0]:
            found.append(f"{name}: {x and x[:1]} vs {y and y[:1]} ({(x or y)[1:]!s:.300})")
            continue
        if x[0] == "error":
            if x[1:] != y[1:]:
                found.append(f"{name}: refused differently:\n  {x[2]}\n  {y[2]}")
            continue
        if x[1] != y[1]:
            keys = [k for k in x[1] if x[1].get(k) != y[1].get(k)]
            found.append(
                f"{name}: frames differ in {keys}: {[x[1][k] for k in keys]!s:.300} vs {[y[1].get(k) for k in keys]!s:.300}"
            )
        if x[2] != y[2]:
            keys = [k for k in x[2] if x[2].get(k) != y[2].get(k)]
            found.append(
                f"{name}: reports differ in {keys}: {[x[2][k] for k in keys]!s:.400} vs {[y[2][k] for k in keys]!s:.400}"
            )
    return found


def main(argv: list[str]) -> int:
    baseline, candidate = Path(argv[0]), Path(argv[1])
    folder = Path(argv[2]) if len(argv) > 2 else Path("/tmp/reader_golden")
    if not folder.exists():
        from tests.corpus.make_corpus import make_corpus

        make_corpus(folder)
        for name, (data, _) in generated().items():
            (folder / name).write_bytes(data)
    here = Path(__file__).resolve().parents[3]
    results = []
    for root in (baseline, candidate):
        out = folder.with_suffix(f".{root.name}.pickle")
        code = (  # `core` from the root, the corpus from this checkout
            f"import runpy, sys; sys.path[:0] = [{str(root)!r}]; sys.path.append({str(here)!r}); "
            f"from pathlib import Path; runpy.run_path({__file__!r})['_read_all']"
            f"(Path({str(folder)!r}), Path({str(out)!r}))"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        results.append(pickle.loads(out.read_bytes()))
    found = _differences(*results)
    print(f"{len(results[0])} files read by each; {len(found)} difference(s)")
    for line in found:
        print(" -", line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

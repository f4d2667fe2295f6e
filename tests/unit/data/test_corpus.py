"""The awkward-file corpus: every file is read correctly (asserted values) or refused with a clear message."""

import re

import pytest

from core.data.reader import ReadOptions, limits, read_path, read_table
from core.workspace.errors import DataError
from tests.corpus.make_corpus import Case, cases, check_read, make_corpus

CASES = cases()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    written = make_corpus(folder)
    assert [c.name for c in written] == [c.name for c in CASES]
    return folder


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file(case: Case, corpus_dir, monkeypatch):
    for constant, value in case.limits.items():
        monkeypatch.setattr(limits, constant, value)
    path = corpus_dir / case.name
    assert path.read_bytes() == case.data
    options = ReadOptions(**case.options)
    if case.refusal is not None:
        with pytest.raises(DataError) as err:
            read_path(path, options)
        message = str(err.value)
        assert case.refusal in message
        # A clear refusal names the problem, then says what to do after a ';'.
        assert re.search(
            r"; (?:\w+ )*?(choose|upload|use|save|add|open|fix|rename|unzip|decompress|a zip|check|put)\b", message
        ), message
        assert "Traceback" not in message and len(message) < 600
    else:
        df, info = read_path(path, options)
        check_read(case, df, info)


def test_corpus_is_large_and_covers_both_outcomes():
    names = [c.name for c in CASES]
    assert len(CASES) >= 30 and len(set(names)) == len(names)
    refused = [c for c in CASES if c.refusal]
    read = [c for c in CASES if not c.refusal]
    assert len(refused) >= 12 and len(read) >= 25
    assert all(c.values or c.columns for c in read), "every read case asserts real values"
    assert {c.format for c in read} >= {"csv", "excel", "parquet"}


def test_file_names_do_not_matter(corpus_dir):
    """The same bytes under a misleading name read the same: content decides, never the name."""
    for name in ("semicolon_decimal_comma.csv", "title_row.xlsx", "table.parquet", "gzip_csv.csv.gz"):
        data = (corpus_dir / name).read_bytes()
        renamed = corpus_dir / f"{name}.renamed.txt"
        renamed.write_bytes(data)
        df_a, info_a = read_path(renamed)
        df_b, info_b = read_table(data)
        assert info_a == info_b and df_a.equals(df_b)

"""core.data.reader.read_path maps a text file instead of copying it into bytes: every kind of text
file reads (or is refused) exactly as its bytes do through read_table."""

import codecs
import gzip

import pandas as pd
import pytest

from core.data.reader import read_path, read_table
from core.data.reader.mapped import MappedFile, file_bytes
from core.workspace.errors import DataError

_CSV = "id,amount,city,code\n1,2.5,São Paulo,007\n2,,Lisboa,012\n3,4.25,Porto,N/D\n"
_FILES = {
    "utf8": _CSV.encode(),
    "bom": codecs.BOM_UTF8 + _CSV.encode(),
    "latin1": _CSV.replace(",", ";").replace("2.5", "2,5").encode("latin-1"),
    "utf16": codecs.BOM_UTF16_LE + _CSV.encode("utf-16-le"),
    "mac_cr": _CSV.replace("\n", "\r").encode(),
    "nul_bytes": (_CSV + "4,1.5,Faro,099\n" * 60).encode().replace(b"Lisboa", b"Lis\x00boa"),
    "quoted": b'a,b\n"x\ny",1\n"z",2\n',
    "sep_line": b"sep=;\na;b\n1;2\n",
}


@pytest.mark.parametrize("name", sorted(_FILES))
def test_a_mapped_text_file_reads_as_its_bytes(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(_FILES[name])
    assert isinstance(file_bytes(path), MappedFile)
    mapped, mapped_info = read_path(path)
    copied, copied_info = read_table(_FILES[name])
    pd.testing.assert_frame_equal(mapped, copied)
    assert mapped_info == copied_info


@pytest.mark.parametrize(
    "data",
    [b"a,b\n1,2\n3\n", b"%PDF-1.4 not a table", b"\n\n  \n", b"a,b\n"],
    ids=["ragged", "pdf", "blank", "header_only"],
)
def test_a_mapped_file_is_refused_as_its_bytes_are(tmp_path, data):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(DataError) as from_bytes:
        read_table(data)
    with pytest.raises(DataError, match=str(from_bytes.value).replace("(", r"\(").replace(")", r"\)")[:60]):
        read_path(path)


def test_compressed_and_empty_files_are_read_as_bytes(tmp_path):
    packed = tmp_path / "t.csv.gz"
    packed.write_bytes(gzip.compress(_CSV.encode()))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert type(file_bytes(packed)) is bytes and file_bytes(empty) == b""
    df, info = read_path(packed)
    assert list(df.columns) == ["id", "amount", "city", "code"] and "gzip" in info.warnings[0]
    with pytest.raises(DataError, match="empty"):
        read_path(empty)

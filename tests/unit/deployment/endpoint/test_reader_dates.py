"""A Portuguese project (';', decimal comma, dd/mm/yyyy dates, Latin-1) whose dates the reader typed
at upload: the endpoint and the served model take dates as the file wrote them (and ISO), and still
refuse what is not a date."""

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from core.data.reader import read_path, read_table
from core.deployment import serving
from core.deployment.date_formats import date_formats_of, reader_date_formats
from core.deployment.endpoint import create_app
from core.pipeline import PipelineConfig, run_pipeline
from core.workspace.database import Workspace
from tests.unit.deployment.endpoint.conftest import api_key_headers


def _portuguese_csv(path, n: int = 400, seed: int = 3):
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    valor = rng.uniform(0, 100, n).round(2)
    cidade = rng.choice(["Lisboa", "Porto", "Évora"], n)
    alvo = np.where(valor + 20 * (cidade == "Porto") + rng.normal(0, 10, n) > 60, "sim", "não")
    lines = ["data;valor;cidade;alvo"]
    for d, v, c, a in zip(days, valor, cidade, alvo):
        lines.append(f"{d:%d/%m/%Y};{str(v).replace('.', ',')};{c};{a}")
    path.write_bytes("\n".join(lines).encode("latin-1"))
    return path


@pytest.fixture(scope="module")
def portuguese(tmp_path_factory):
    root = tmp_path_factory.mktemp("pt")
    raw, info = read_path(_portuguese_csv(root / "vendas.csv"))
    assert str(raw["data"].dtype).startswith("datetime64")  # the reader typed the dates at upload
    ws = Workspace(root / "ws")
    config = PipelineConfig(target="alvo", project_name="vendas", cv_folds=2, windows=2, rows_per_window=50)
    run_pipeline(ws, raw, info, config, source_name="vendas.csv")
    deployment = serving.get_active_deployment(ws, 1)
    model = serving.load_served(ws, deployment["champion_version_id"])
    return ws, deployment, model


def test_the_served_model_knows_the_format_the_reader_detected(portuguese):
    ws, _, model = portuguese
    assert model.input_kinds.get("data") == "datetime"
    assert model.date_formats == {"data": "%d/%m/%Y"}
    assert reader_date_formats(ws, None) == {} and reader_date_formats(ws, 10_000) == {}


@pytest.mark.parametrize("as_json", [True, False], ids=["json rows", "table"])
def test_dates_as_the_file_wrote_them_are_answered_like_iso_and_other_text_is_not_a_date(portuguese, as_json):
    ws, deployment, _ = portuguese
    cells = ["03/05/2021", "2021-05-03", "31/02/2021", "ontem"]
    rows = [{"data": d, "valor": 40.5, "cidade": "Porto"} for d in cells]
    out = serving.predict(ws, deployment, rows if as_json else pd.DataFrame(rows), log=False)
    assert out["status"].tolist()[:2] == ["scored", "scored"]
    assert out["prediction"].iloc[0] == out["prediction"].iloc[1] and out["score"].iloc[0] == out["score"].iloc[1]
    assert out["status"].tolist()[2:] == ["error", "error"]
    assert "data must be a date such as 31/01/2024 or 2024-01-31; got '31/02/2021'" in out["error"].iloc[2]


def test_the_endpoint_takes_the_files_date_format_and_refuses_what_does_not_parse(portuguese):
    ws, _, _ = portuguese
    client = TestClient(create_app(ws.root, 1), raise_server_exceptions=False, headers=api_key_headers(ws, 1))
    good = client.post("/predict", json={"rows": [{"data": "03/05/2021", "valor": 40.5, "cidade": "Porto"}]})
    assert good.status_code == 200, good.text
    iso = client.post("/predict", json={"rows": [{"data": "2021-05-03", "valor": 40.5, "cidade": "Porto"}]})
    assert iso.status_code == 200 and iso.json()["results"][0]["score"] == good.json()["results"][0]["score"]
    bad = client.post("/predict", json={"rows": [{"data": "05/31/2021", "valor": 40.5, "cidade": "Porto"}]})
    assert bad.status_code == 422
    assert "data must be a date such as 31/01/2024 or 2024-01-31; got '05/31/2021'" in bad.text
    schema = client.get("/openapi.json").json()
    assert "31/01/2024" in str(schema)


def test_the_fast_reader_reads_the_files_dates_as_the_general_reader_does(portuguese):
    _, _, model = portuguese
    rows = [
        {"data": "03/05/2021", "valor": 40.5, "cidade": "Porto"},
        {"data": "2021-05-03", "valor": 1, "cidade": "Évora"},
    ]
    fast = model._fast.read(rows)
    assert model._fast.reason is None and fast is not None
    assert fast["data"].tolist() == [pd.Timestamp("2021-05-03").to_datetime64()] * 2
    general, problems = model.read(rows)
    assert problems == [] and general["data"].to_numpy(dtype="datetime64[us]").tolist() == fast["data"].tolist()
    assert (
        model._fast.read([{"data": "31/02/2021", "valor": 1.0, "cidade": "Porto"}]) is None
    )  # the general reader says why


def test_deploys_rule_check_reads_the_files_dates_too(portuguese):
    """Deploy checks a tried request against the training rules: a date as the file wrote it is a
    date there too (inside the learned range), and text that is no date is still named."""
    _, _, model = portuguese
    ok = model.validate(pd.DataFrame([{"data": "03/05/2021", "valor": 40.5, "cidade": "Porto"}]))
    assert [v for v in ok if v.column == "data"] == []
    bad = model.validate(pd.DataFrame([{"data": "ontem", "valor": 40.5, "cidade": "Porto"}]))
    assert [v.column for v in bad] == ["data"]


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([f"{d:02d}/04/2021;{d},5" for d in range(1, 9)], {"quando": "%d/%m/%Y"}),
        (
            [f"2021-03-{d:02d};{d},5" for d in range(1, 6)] + [f"{d:02d}/04/2021;{d},5" for d in range(1, 6)],
            {"quando": "%d/%m/%Y"},
        ),
        ([f"2021-03-{d:02d};{d},5" for d in range(1, 9)], {}),
    ],
    ids=["day-first", "mixed-with-iso", "iso"],
)
def test_the_reader_reports_the_format_the_endpoint_then_accepts(rows, expected):
    """The endpoint learns a column's date format from the reader's own report: read a real file and
    take the format from its report, so a rewording of the reader's note fails here."""
    _, info = read_table(("quando;valor\n" + "\n".join(rows) + "\n").encode())
    assert date_formats_of(info.to_dict()) == expected


def test_the_format_is_found_in_a_note_written_in_portuguese(tmp_path):
    """A class working in Portuguese uploads the file: the reader's notes are written in Portuguese
    ("formato %d/%m/%Y", dates as dd/mm/aaaa), and the endpoint must still learn the format from them."""
    from core.i18n import use_language

    path = _portuguese_csv(tmp_path / "vendas.csv", n=60)
    with use_language("pt"):
        _, info = read_path(path)
    note = next(c.note for c in info.columns if c.name == "data")
    assert "formato %d/%m/%Y" in note and "/20" in note.split("(")[1]  # dd/mm/aaaa span, not ISO
    assert date_formats_of(info.to_dict()) == {"data": "%d/%m/%Y"}
    with use_language("en"):
        _, english = read_path(path)
    assert date_formats_of(english.to_dict()) == {"data": "%d/%m/%Y"}


def test_a_share_in_a_note_is_not_taken_for_a_date_format():
    info = {
        "columns": [
            {
                "name": "d",
                "dtype": "datetime64[ns]",
                "note": "all are dates (2021-01-01 to 2021-02-01); 3 missing (12%)",
            }
        ]
    }
    assert date_formats_of(info) == {}

"""Any query-parameter value gives a normal page: crafted, mistyped or stale ids never crash one."""

import pytest

from core.workspace.database import MAX_ID, parse_id

HOSTILE_IDS = [
    "99999999999999999999",
    str(MAX_ID + 1),
    "9" * 5000,
    "²",
    "١٢",
    "１",
    "-1",
    "0",
    "",
    " ",
    " 1",
    "1 ",
    "1e3",
    "0x10",
    "1_0",
    "1.0",
    "+1",
    "abc",
    "1;DROP TABLE projects",
    "%00",
    "\x00",
    "9" * 19,
    ["1", "²"],
    ["²", "1"],
]
PAGES = [
    "app.py",
    "pages/1_Data.py",
    "pages/2_Problem.py",
    "pages/3_Features.py",
    "pages/4_Train.py",
    "pages/5_Explain.py",
    "pages/6_Registry.py",
    "pages/7_Deploy.py",
    "pages/8_Monitor.py",
]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", 1),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        (3, 3),
        (str(MAX_ID + 1), None),
        ("9" * 5000, None),
        ("²", None),
        ("١", None),
        ("-1", None),
        ("0", None),
        ("", None),
        (" 1", None),
        ("1e3", None),
        ("0x10", None),
        ("1_0", None),
        (None, None),
        (True, None),
        (0, None),
        (2**64, None),
        (1.0, None),
        (["1"], None),
    ],
)
def test_parse_id_takes_only_plain_ascii_digits_within_int64(value, expected):
    assert parse_id(value) == expected


@pytest.fixture
def one_project(fresh):
    make, ws = fresh
    from core.workspace.projects import create_project

    create_project(ws, "only")
    return make, ws


def _normal(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shrugs_off_a_hostile_project_id(one_project, page):
    make, _ = one_project
    at = make()
    at.run()
    at.switch_page(page)
    opens = False
    for value in HOSTILE_IDS:
        at.query_params.clear()
        at.query_params["project"] = value
        at.run()
        _normal(at)
        # Like st.query_params, the last of repeated values counts; once open, the session keeps the project.
        opens = opens or parse_id(value[-1] if isinstance(value, list) else value) == 1
        if page != "app.py" and not opens:  # no project is open: the page says so instead of failing
            assert "No project is open" in at.info[0].value, (value, [i.value for i in at.info])
        assert at.query_params.get("project") == ("1" if opens else None), value


def test_a_session_project_survives_a_hostile_url(one_project):
    make, _ = one_project
    at = make()
    at.query_params["project"] = "1"
    at.run()
    at.query_params["project"] = "²"
    at.switch_page("pages/1_Data.py").run()
    _normal(at)
    assert at.query_params["project"] == "1"  # the session's project, back in the URL
    assert at.info[0].value.startswith("Load a sample")


def test_home_shrugs_off_a_hostile_demo_job(one_project):
    make, ws = one_project
    from core.workspace import jobs

    not_a_demo = jobs.start_job(ws, 1, "train", lambda progress: {"experiment_id": 1})
    jobs.wait_for_job(ws, not_a_demo, timeout=30)
    for value in [*HOSTILE_IDS, str(not_a_demo), "424242"]:
        at = make()
        at.query_params["demo_job"] = value
        at.run()
        _normal(at)
        assert not at.button(key="run_demo").disabled, value

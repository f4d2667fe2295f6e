"""A new user's path through the pages on a fresh project, as AppTest clicks it, with an
unseen, awkward CSV and with files that must be refused."""

import numpy as np
import pandas as pd
import pytest

from core.workspace import jobs


def awkward_csv(rows: int = 300, seed: int = 3) -> bytes:
    """;-separated, decimal commas, Latin-1 accents, an ID column: a typical European export."""
    rng = np.random.default_rng(seed)
    usage = rng.gamma(2.0, 20.0, rows)
    region = rng.choice(["Nord", "Süd", "Öst"], rows)
    logit = 0.05 * (usage - 40) + np.where(region == "Süd", 1.0, -0.5)
    target = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "ja", "nein")
    df = pd.DataFrame(
        {"kunde": [f"K{i:05d}" for i in range(rows)], "nutzung": usage.round(2), "region": region, "kündigung": target}
    )
    return df.to_csv(sep=";", decimal=",", index=False).encode("latin-1")


def goto(at, page):
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_new_user_clicks_the_whole_loop_on_an_unseen_csv(fresh):
    make, ws = fresh
    at = make()
    at.run()
    at.text_input(key="new_project_name").input("Kunden")
    at.button(key="create_project").click().run()
    assert at.query_params["project"] == ["1"] or at.query_params["project"] == "1"

    at = goto(at, "pages/1_Data.py")
    at.file_uploader(key="upload").set_value(("kunden.csv", awkward_csv(), "text/csv")).run()
    assert not at.error, [e.value for e in at.error]
    assert "delimiter ';'" in at.success[0].value
    at.button(key="save_upload").click().run()
    at.button(key="apply_recipe").click().run()
    assert not at.exception and not at.error

    at = goto(at, "pages/2_Problem.py")
    at.selectbox(key="target").select("kündigung").run()
    at.button(key="save_problem").click().run()
    assert "Saved" in at.success[0].value

    at = goto(at, "pages/3_Features.py")
    at.button(key="save_features").click().run()
    assert "Saved feature set version 1" in at.success[0].value

    at = goto(at, "pages/4_Train.py")
    at.button(key="train").click().run()
    job = jobs.latest_job(ws, 1, "train")
    assert jobs.wait_for_job(ws, job["id"], timeout=120)["status"] == "succeeded"
    at.run()
    assert any("GO" in m.value for m in at.metric)

    at = goto(at, "pages/6_Registry.py")
    at.button(key="registry_register").click().run()
    assert "Registered" in " ".join(s.value for s in at.success)

    at = goto(at, "pages/7_Deploy.py")
    at.button(key="deploy").click().run()
    at.button(key="send_rows").click().run()
    assert not at.error

    at = goto(at, "pages/8_Monitor.py")
    at.selectbox(key="scenario").select("sudden").run()
    at.button(key="simulate").click().run()
    assert not at.exception
    assert at.get("plotly_chart")


@pytest.mark.parametrize(
    "name,data,expected",
    [
        ("empty.csv", b"", "empty"),
        ("image.csv", bytes(range(256)) * 8, "binary"),
        ("header.csv", b"a,b,c\n", "no data rows"),
    ],
)
def test_bad_uploads_get_a_clear_message_and_lose_nothing(fresh, name, data, expected):
    make, ws = fresh
    at = make()
    at.run()
    at.text_input(key="new_project_name").input("Bad files")
    at.button(key="create_project").click().run()
    at = goto(at, "pages/1_Data.py")
    at.button(key="load_sample").click().run()
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    assert not at.exception
    assert expected in at.error[0].value.lower(), at.error[0].value
    assert "telco_churn.csv" in " ".join(h.value for h in at.subheader)  # the loaded sample is still there


def test_choosing_an_id_as_the_target_is_questioned_before_training(fresh):
    """A student picked customer_id as the target: the Problem page said "Saved: predict 'customer_id'"
    and the leaderboard only that "the features may not carry the signal"."""
    from core import pipeline
    from core.workspace.projects import create_project

    make, ws = fresh
    pid = create_project(ws, "ids")["id"]
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1300),
            "age": rng.integers(18, 80, 300),
            "spend": rng.normal(100, 30, 300).round(1),
        }
    )
    raw = pipeline.stage_ingest(ws, pid, table, None, "customers.csv")
    pipeline.stage_clean(ws, pid, raw["id"])
    at = make()
    at.query_params["project"] = str(pid)
    at.run()
    at = goto(at, "pages/2_Problem.py")
    at.selectbox(key="target").select("customer_id").run()
    assert any(
        "customer_id looks like an ID, not an outcome: 299 of its 299 values are different" in w.value
        for w in at.warning
    ), [w.value for w in at.warning]
    at.selectbox(key="target").select("spend").run()
    assert not any("looks like an ID" in w.value for w in at.warning)

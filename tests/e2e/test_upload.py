"""A table the app has never seen goes from upload to a leaderboard; bad files get a plain error
and leave the project's data alone."""

from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest

from .conftest import (
    assert_no_exception,
    click_key,
    error_texts,
    fill_text,
    goto,
    main_text,
    project_id_from_url,
    select_option,
    shot,
    sidebar_link,
    wait_idle,
)

pytestmark = pytest.mark.browser

TRAIN_TIMEOUT_S = 180
UPLOAD_INPUT = ".st-key-upload input[type=file]"


def make_european_csv(rows: int = 300, seed: int = 7) -> bytes:
    """A `;`-separated, decimal-comma, Latin-1 file with an accented column and a binary target
    that depends on the inputs (so models have something to learn)."""
    rng = np.random.default_rng(seed)
    regions = ["Genève", "Zürich", "Besançon", "Málaga"]
    lines = ["région;âge;revenu_mensuel;ancienneté_mois;résilié"]
    for _ in range(rows):
        region = regions[rng.integers(len(regions))]
        age = int(rng.integers(18, 80))
        income = round(float(rng.normal(3200, 900)), 2)
        tenure = int(rng.integers(1, 72))
        risk = -0.04 * tenure + (0.8 if region == "Genève" else 0.0) - 0.0003 * (income - 3200) + 1.0
        churned = "oui" if rng.random() < 1 / (1 + np.exp(-risk)) else "non"
        income_text = f"{income:.2f}".replace(".", ",")
        lines.append(f"{region};{age};{income_text};{tenure};{churned}")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def create_project(page, base_url: str, name: str) -> str:
    goto(page, base_url, "/")
    fill_text(page, "new_project_name", name)
    click_key(page, "create_project")
    page.wait_for_url(re.compile(r"[?&]project=\d+"), timeout=30_000)
    wait_idle(page)
    project_id = project_id_from_url(page.url)
    assert project_id, f"no project id in the URL after creating a project: {page.url}"
    return project_id


def open_upload_tab(page) -> None:
    page.get_by_role("tab", name=re.compile("Upload")).click()
    wait_idle(page)


def upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:
    page.locator(UPLOAD_INPUT).set_input_files({"name": name, "mimeType": mime, "buffer": data})
    wait_idle(page)


def test_unseen_european_csv_to_leaderboard(page, base_url):
    project_id = create_project(page, base_url, f"Upload e2e {int(time.time())}")
    goto(page, base_url, f"/Data?project={project_id}")
    open_upload_tab(page)
    upload(page, "clients_résiliation.csv", make_european_csv())
    assert_no_exception(page, "after upload")
    assert not error_texts(page), f"a valid file was refused: {error_texts(page)}"
    text = main_text(page)
    # The reader detected the dialect instead of loading one wide column.
    assert re.search(r"Read 300 rows × 5 columns", text), text[:800]
    assert "';'" in text and "','" in text, f"delimiter/decimal not reported as ';' and ',': {text[:800]}"
    shot(page, "upload_01_read")

    click_key(page, "save_upload")
    assert_no_exception(page, "after saving the upload")
    page.get_by_text(re.compile(r"Profile of clients_r.siliation\.csv")).first.wait_for(timeout=30_000)

    click_key(page, "apply_recipe", timeout=90_000)
    assert_no_exception(page, "after applying the recipe")
    assert not error_texts(page), f"applying the suggested recipe failed: {error_texts(page)}"
    page.get_by_text("Cleaned version", exact=False).first.wait_for(timeout=30_000)
    shot(page, "upload_02_cleaned")

    sidebar_link(page, "Problem").first.click()
    page.wait_for_url(re.compile(r"/Problem"), timeout=30_000)
    wait_idle(page)
    select_option(page, "target", "résilié", exact=True)
    assert_no_exception(page, "after choosing the target")
    click_key(page, "save_problem")
    assert not error_texts(page), f"saving the problem failed: {error_texts(page)}"
    page.get_by_text(re.compile(r"Saved: predict 'résilié' \(binary\)")).first.wait_for(timeout=30_000)
    shot(page, "upload_03_problem")

    goto(page, base_url, f"/Features?project={project_id}")
    click_key(page, "save_features")
    assert_no_exception(page, "after saving features")
    assert not error_texts(page), f"saving the feature set failed: {error_texts(page)}"

    goto(page, base_url, f"/Train?project={project_id}")
    click_key(page, "train")
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    leaderboard = page.get_by_text(re.compile(r"Leaderboard — experiment"))
    while leaderboard.count() == 0:
        assert_no_exception(page, "while training")
        assert not error_texts(page), f"training failed: {error_texts(page)}"
        assert time.monotonic() < deadline, f"no leaderboard after {TRAIN_TIMEOUT_S} s of training"
        page.wait_for_timeout(1000)
    wait_idle(page)
    assert_no_exception(page, "after training")
    assert page.locator("[data-testid=stMain] [data-testid=stDataFrame]").count() >= 1
    shot(page, "upload_04_leaderboard")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.csv", b""),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(4000)),
    ],
    ids=["empty", "binary"],
)
def test_bad_file_gets_a_plain_error_and_keeps_the_data(page, base_url, name, data):
    project_id = create_project(page, base_url, f"Bad upload {name} {int(time.time())}")
    goto(page, base_url, f"/Data?project={project_id}")
    click_key(page, "load_sample", timeout=60_000)
    assert_no_exception(page, "after loading the sample")
    profile_heading = page.get_by_text(re.compile(r"Profile of \S+ \(raw version 1\)"))
    profile_heading.first.wait_for(timeout=30_000)
    before = profile_heading.first.inner_text()

    open_upload_tab(page)
    upload(page, name, data)
    assert_no_exception(page, f"after uploading {name}")
    errors = error_texts(page)
    assert errors, f"uploading {name} showed no error message"
    assert errors[0].startswith(name), f"the error does not name the file: {errors}"
    assert len(errors[0]) > len(name) + 15, f"the error does not say what is wrong: {errors}"
    assert page.locator(".st-key-save_upload button").count() == 0, "a bad file can be saved"
    shot(page, f"upload_bad_{name.split('.')[0]}")

    # The project's data is untouched, also after a refresh.
    page.reload(wait_until="domcontentloaded")
    wait_idle(page)
    assert_no_exception(page, "after refresh")
    assert profile_heading.first.inner_text() == before, "the project's data changed after a bad upload"

"""The privacy cleaning ops: mask_values and hash_values apply, validate, describe, replay through a
saved recipe and its JSON, and the hash uses the workspace's key outside the database."""

from __future__ import annotations

import pandas as pd
import pytest

from core.data import datasets
from core.data.cleaning import (
    CleaningRecipe,
    CleaningStep,
    apply_recipe,
    describe_step,
    recipe_from_json,
    recipe_to_json,
)
from core.security.masking import hash_text, mask_text, pii_key, pii_key_scope
from core.stages.data import stage_clean, stage_ingest
from core.workspace.errors import ConfigError
from core.workspace.projects import create_project

PEOPLE = pd.DataFrame(
    {
        "email": ["ana@mail.com", "joao@uol.com.br", None, "ana@mail.com"],
        "cpf": ["529.982.247-25", "111.444.777-35", "390.533.447-05", "529.982.247-25"],
        "valor": [10.0, 20.5, 3.0, 7.0],
    }
)


def test_mask_keeps_the_last_characters_and_the_separators():
    assert mask_text("529.982.247-25", keep=2) == "***.***.***-25"
    assert mask_text("ana@mail.com", keep=4) == "***@***l.com"
    assert mask_text("ab", keep=4) == "ab"


def test_mask_step_masks_every_value_and_leaves_missing_alone():
    step = CleaningStep("mask_values", {"columns": ["cpf", "email"], "keep": 3})
    out, [report] = apply_recipe(PEOPLE, CleaningRecipe((step,)))
    assert out["cpf"].tolist()[0] == "***.***.**7-25"
    assert pd.isna(out["email"][2]) and "ana" not in "".join(out["email"].dropna())
    assert report.cells_changed == 7 and "Masked 7 values" in report.summary
    assert describe_step(step) == "Mask cpf, email (keep the last 3 characters)"


def test_mask_step_refuses_a_keep_out_of_range():
    with pytest.raises(ConfigError, match="'keep' of mask_values must be 2, 3 or 4"):
        CleaningStep.from_dict({"op": "mask_values", "params": {"columns": ["cpf"], "keep": 9}})


def test_hash_step_uses_the_workspace_key_and_gives_the_same_hash_for_the_same_value(ws):
    step = CleaningStep("hash_values", {"columns": ["email"]})
    with pii_key_scope(ws.root):
        out, _reports = apply_recipe(PEOPLE, CleaningRecipe((step,)))
    key = pii_key(ws.root)
    assert out["email"][0] == out["email"][3] == hash_text("ana@mail.com", key)
    assert len(out["email"][0]) == 32 and pd.isna(out["email"][2])
    assert not (ws.root / "studio.db").exists() or b"ana@mail.com" not in (ws.root / "studio.db").read_bytes()


def test_another_workspace_hashes_differently(tmp_path):
    one, two = pii_key(tmp_path / "a"), pii_key(tmp_path / "b")
    assert hash_text("ana@mail.com", one) != hash_text("ana@mail.com", two)


def test_hash_step_outside_a_workspace_stops_with_a_clear_error():
    with pytest.raises(ConfigError, match="needs the workspace's secret key"):
        apply_recipe(PEOPLE, CleaningRecipe((CleaningStep("hash_values", {"columns": ["email"]}),)))


def test_privacy_steps_replay_from_a_saved_recipe_and_its_json(ws):
    pid = create_project(ws, "p")["id"]
    raw = stage_ingest(ws, pid, PEOPLE, None, "people.csv")
    recipe = CleaningRecipe(
        (
            CleaningStep("hash_values", {"columns": ["email"]}),
            CleaningStep("mask_values", {"columns": ["cpf"], "keep": 2}),
        )
    )
    assert recipe_from_json(recipe_to_json(recipe)) == recipe
    out = stage_clean(ws, pid, raw["id"], recipe)
    cleaned = datasets.load_dataset(ws, out["dataset"]["id"])
    assert cleaned["cpf"][0] == "***.***.***-25"
    assert cleaned["email"][0] == hash_text("ana@mail.com", pii_key(ws.root))
    assert datasets.load_recipe(ws, out["dataset"]["recipe_id"]) == recipe

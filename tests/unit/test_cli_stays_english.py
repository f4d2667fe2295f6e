"""The CLI prints English, and its JSON keys are the same, whatever the language of the machine it
runs on (issue 13: only the studio's pages speak Portuguese)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTUGUESE = {"LANG": "pt_BR.UTF-8", "LC_ALL": "pt_BR.UTF-8", "LANGUAGE": "pt_BR:pt", "LC_MESSAGES": "pt_BR.UTF-8"}


def _cli(*args: str, workspace: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    environment |= {"MLOPS_STUDIO_WORKSPACE": str(workspace), "LANG": "C.UTF-8"} | env
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )


def test_cli_text_and_json_are_english_under_a_portuguese_locale(tmp_path):
    data = "sample_data/telco_churn.csv"
    english_text = _cli("inspect", "--data", data, workspace=tmp_path / "a")
    portuguese_text = _cli("inspect", "--data", data, workspace=tmp_path / "b", **PORTUGUESE)
    assert english_text.returncode == portuguese_text.returncode == 0, portuguese_text.stderr
    assert portuguese_text.stdout == english_text.stdout
    assert "7,070" in portuguese_text.stdout  # an English thousands separator, not 7.070

    english_json = json.loads(_cli("inspect", "--data", data, "--json", workspace=tmp_path / "c").stdout)
    portuguese_json = json.loads(
        _cli("inspect", "--data", data, "--json", workspace=tmp_path / "d", **PORTUGUESE).stdout
    )
    assert portuguese_json == english_json
    assert {"format", "encoding", "delimiter", "rows", "columns"} <= set(portuguese_json)


def test_cli_errors_are_english_under_a_portuguese_locale(tmp_path):
    proc = _cli("inspect", "--data", "no/such/file.csv", workspace=tmp_path / "ws", **PORTUGUESE)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert proc.stderr == _cli("inspect", "--data", "no/such/file.csv", workspace=tmp_path / "ws").stderr
    assert not any(word in proc.stderr for word in (" não ", " arquivo ", " o ", " de "))

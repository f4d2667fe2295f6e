"""A ready-to-paste ``curl`` call of the endpoint, built from a real row (for Deploy's panel)."""

from __future__ import annotations

import json

import pandas as pd

from core.workspace.jsonable import to_strict_json


def curl_example(url: str, rows: pd.DataFrame) -> str:
    """``curl`` posting ``rows`` (as a client sends them: missing values as null) to ``url``/predict, with
    the API key read from the shell variable ``MLOPS_STUDIO_KEY``.
    The JSON is single-quoted for a POSIX shell, any single quote in it escaped."""
    body = json.dumps({"rows": to_strict_json(rows.to_dict(orient="records"))}, ensure_ascii=False)
    quoted = "'" + body.replace("'", "'\\''") + "'"
    return (
        f"curl -s -X POST {url}/predict \\\n  -H 'Content-Type: application/json' \\\n"
        f'  -H "Authorization: Bearer $MLOPS_STUDIO_KEY" \\\n  -d {quoted}'
    )


def feedback_example(url: str) -> str:
    return (
        f"curl -s -X POST {url}/feedback \\\n  -H 'Content-Type: application/json' \\\n"
        f'  -H "Authorization: Bearer $MLOPS_STUDIO_KEY" \\\n'
        """  -d '{"request_id": "<the request_id of an answer>", "label": "<the true outcome>"}'"""
    )

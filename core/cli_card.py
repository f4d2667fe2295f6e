"""`mlops-studio card --project P [--version N] [--model M] --format html|pdf --out FILE [--json]`: the
model card of a registered version, headless: the same document the Registry page previews and offers
for download. Default version: the champion, else the newest."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    card = sub.add_parser("card", help="write the model card of a registered version as HTML or PDF")
    card.add_argument("--project", required=True, help="project name or id, as `run` prints it")
    card.add_argument("--version", type=_version_number, help="version number (default: the champion, else the newest)")
    card.add_argument("--model", help="model name (default: the model of the project's problem)")
    card.add_argument("--workspace")
    card.add_argument("--format", required=True, choices=["html", "pdf"], help="html or pdf")
    card.add_argument("--out", required=True, help="the file to write")
    card.add_argument("--json", action="store_true", help="print one JSON object about what was written")


def _version_number(text: str) -> int:
    """``--version``: plain ASCII digits within int64, through the project's one id parser (int()
    takes "٣" and "1_0", and a 20-digit number overflows SQLite)."""
    from core.workspace.database import MAX_ID, parse_id

    number = parse_id(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a version number (a whole number from 1 to {MAX_ID})")
    return number


_EXTENSIONS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def _check_extension(out: str, fmt: str) -> None:
    """``--format html --out card.pdf`` would write HTML under a name every program opens as PDF."""
    from core.workspace.errors import ConfigError

    suffix = Path(out).suffix
    named = _EXTENSIONS.get(suffix.lower())
    if named is not None and named != fmt:
        raise ConfigError(
            f"--out {out} ends in '{suffix}' but --format is {fmt}; use --format {named} or an --out ending in .{fmt}."
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Write the card; returns {project, model, version, format, out, bytes, verdict}."""
    from core.reports.card import build_model_card, render_card, resolve_card_version
    from core.workspace.database import Workspace
    from core.workspace.projects import resolve_project

    _check_extension(args.out, args.format)
    ws = Workspace(args.workspace)
    project = resolve_project(ws, args.project)
    version = resolve_card_version(ws, int(project["id"]), args.version, args.model)
    doc = build_model_card(ws, int(version["id"]))
    data = render_card(doc, args.format)
    _write(Path(args.out), data)
    return {
        "project": project["name"],
        "model": version["model_name"],
        "version": int(version["version"]),
        "format": args.format,
        "out": str(args.out),
        "bytes": len(data),
        "verdict": doc.verdict,
    }


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a temporary file beside ``path``, renamed over it."""
    from core.workspace.errors import ConfigError

    if path.is_dir():
        raise ConfigError(f"--out {path} is a folder; give a file name such as {path / 'model-card.pdf'}.")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".card-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ConfigError(
            f"Cannot write the card to {path} ({exc.strerror}); check that the folder exists and is writable."
        ) from None


def format_result(result: dict[str, Any]) -> str:
    return (
        f"wrote the model card of {result['model']} v{result['version']} ({result['format'].upper()}, "
        f"{result['bytes']:,} bytes) to {result['out']}\n{result['verdict']}"
    )

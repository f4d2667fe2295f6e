"""`mlops-studio lesson point-in-time [--workspace W] [--json]`: the feature store's lesson, headless.

The same model trained on point-in-time features and on a naive join, scored in validation and on the
later months (``core.featurestore.lesson``). ``--json`` prints one object, the numbers the page shows:
``{"point_in_time": {"validation": m, "later": m}, "naive": {"validation": m, "later": m}, "metric": name}``.
The lesson's four features are kept in the workspace's feature catalog (``./workspace`` by default, or
``--workspace`` / ``MLOPS_STUDIO_WORKSPACE``), used by a project "Point-in-time lesson"; a second run
adds nothing new.
"""

from __future__ import annotations

import argparse
from typing import Any

LESSONS = ("point-in-time",)


def add_parser(sub: Any) -> None:
    lesson = sub.add_parser("lesson", help="run a lesson headless: point-in-time (the feature store's)")
    lesson.add_argument("name", choices=LESSONS, help="which lesson (point-in-time)")
    lesson.add_argument("--workspace", help="workspace folder (default ./workspace or $MLOPS_STUDIO_WORKSPACE)")
    lesson.add_argument("--json", action="store_true", help="print one JSON object with the four scores")


def run(args: argparse.Namespace) -> int:
    from core.featurestore.lesson import run_point_in_time_lesson
    from core.workspace.database import Workspace
    from core.workspace.jsonable import dumps

    result = run_point_in_time_lesson(Workspace(args.workspace))
    print(dumps(result.to_json()) if args.json else format_result(result))
    return 0


def format_result(result: Any) -> str:
    scores = result.scores
    lines = [
        f"{'join':<15} {'validation':>10} {'later':>8}   ({result.metric})",
        *(
            f"{join:<15} {scores[join]['validation']:>10.3f} {scores[join]['later']:>8.3f}"
            for join in ("point_in_time", "naive")
        ),
        "",
        f"customer {result.customer}: the value each join gave each transaction (card blocks before it)",
        result.timeline.to_string(index=False),
        "",
        result.sentence,
    ]
    return "\n".join(lines)

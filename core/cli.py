"""`mlops-studio` (also `python -m core`): the same pipeline as the app, headless.

Errors print one line, `error: <what is wrong and what to do>`, and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from core import cli_attack, cli_autopilot, cli_card, cli_keys, cli_lesson, cli_privacy, cli_rollouts, cli_spec
from core.training.engine import add_cluster_argument
from core.workspace.actor import COMMAND_LINE, Actor, acting_as, current_actor, person
from core.workspace.errors import StudioError
from core.workspace.jsonable import dumps

EXIT_USAGE = 2
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, as the shell reports a writer whose reader went away (`| head`)


class _Parser(argparse.ArgumentParser):
    #: A check of the parsed arguments argparse cannot express (``run``: --data and --target unless --spec):
    #: the message of what is missing, or None.
    requires: Any = None

    def parse_known_args(self, args=None, namespace=None):
        parsed, extras = super().parse_known_args(args, namespace)
        missing = self.requires(parsed) if self.requires is not None else None
        if missing:
            self.error(missing)
        return parsed, extras

    def error(self, message: str):  # argparse's own errors follow the same one-line contract
        # prog is "mlops-studio" for the top level and "mlops-studio run" for a command.
        self.exit(EXIT_USAGE, f"error: {message}; run `{self.prog} --help` for usage.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops-studio", description="MLOps Studio: data to a monitored deployment, headless.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="the full pipeline on the default sample (telco churn)")
    demo.add_argument("--workspace", help="workspace folder (default ./workspace or $MLOPS_STUDIO_WORKSPACE)")
    demo.add_argument("--json", action="store_true", help="print one JSON summary object")

    run = sub.add_parser("run", help="the full pipeline on any table, or a pipeline spec replayed (--spec)")
    run.add_argument("--data", help="CSV, TSV, Excel or Parquet file (with --spec: instead of the spec's source)")
    run.add_argument("--target", help="the column to predict (with --spec: overrides the spec's)")
    run.add_argument("--test", help="evaluate on this holdout file instead of a random split")
    run.add_argument("--workspace")
    run.add_argument("--project", help="project name (default: the file name)")
    run.add_argument(
        "--scenario",
        choices=["none", "gradual", "sudden", "new_category", "concept"],
        help="drift scenario for the simulated production traffic",
    )
    run.add_argument(
        "--label-delay",
        type=int,
        help="windows before the simulated traffic's labels arrive (default 0: at once)",
    )
    run.add_argument(
        "--label-share",
        type=float,
        help="share of the simulated traffic's rows whose label ever arrives (default 1)",
    )
    run.add_argument("--folds", type=int, help="cross-validation folds (default 5)")
    run.add_argument("--retrain", action="store_true", help="retrain when monitoring recommends it")
    run.add_argument(
        "--tune",
        choices=["grid", "random", "bayes"],
        help="tune the leaderboard's best family with this search before registering it",
    )
    run.add_argument("--budget", type=int, help="trials for --tune (default 20)")
    run.add_argument(
        "--recipe",
        help="replay this cleaning recipe (JSON, as downloaded from the Data page) instead of the suggested one",
    )
    run.add_argument(
        "--webhook",
        help="send the run's alerts to this http(s) URL (POST JSON, 3 attempts, 3 s timeout) and keep it on the project",
    )
    run.add_argument("--json", action="store_true")
    cli_spec.add_problem_flags(run)  # --spec and a flag for every Problem choice
    run.requires = cli_spec.missing_run_arguments
    add_cluster_argument(run)  # --cluster: the leaderboard and tuning on a Dask cluster

    inspect = sub.add_parser("inspect", help="how a file is read: format, encoding, delimiter, types")
    inspect.add_argument("--data", required=True)
    inspect.add_argument("--json", action="store_true")

    serve = sub.add_parser("serve", help="serve a project's deployed model over HTTP (/predict, /health, /docs)")
    serve.add_argument("--project", required=True, help="the project's name or id, as `run` prints it")
    serve.add_argument("--workspace")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--owner-pid", type=int, help=argparse.SUPPRESS)  # stop when this process is gone
    cli_rollouts.add_parsers(sub)  # deploy, promote, rollback
    cli_autopilot.add_parser(sub)  # the retraining loop, unattended
    cli_card.add_parser(sub)  # the model card of a version, as HTML or PDF
    cli_spec.add_parsers(sub)  # spec (export, JSON Schema) and gate (CI: exit 0 GO, 1 NO-GO)
    cli_lesson.add_parser(sub)  # lesson point-in-time: the feature store's lesson
    cli_attack.add_parser(sub)  # attack extract|evasion: issue 16's attacks, headless
    cli_keys.add_parsers(sub)  # keys create|revoke|list (the endpoint's API keys), password set|clear
    cli_privacy.add_parser(sub)  # erase: the right to erasure
    return parser


def name_flags(message: str, args: argparse.Namespace) -> str:
    """A library error names a setting as "The 'label_delay' of TrafficConfig"; on the command line the
    person typed --label-delay, so the flag is named instead, when the command has one of that name."""

    def flag(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"--{name.replace('_', '-')}" if hasattr(args, name) else match.group(0)

    return re.sub(r"The '(\w+)' of \w+", flag, message)


def cli_actor(args: argparse.Namespace) -> Actor:
    """Who runs a command: ``--as NAME`` where the command takes it, else the operating-system user."""
    name = getattr(args, "as_name", None)
    return person(name, COMMAND_LINE) if name is not None else Actor(current_actor().name, COMMAND_LINE)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")  # library chatter would break the one-JSON-object contract
    try:
        with acting_as(cli_actor(args)):  # every audit entry names who ran the command
            return _dispatch(args)
    except StudioError as exc:
        print(f"error: {name_flags(str(exc), args)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader stopped reading (`| head`): not an error to report
        _drop_stdout()
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        print("error: interrupted; nothing half-written is kept (artifacts are written atomically).", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the contract is one line, never a traceback
        print(
            f"error: unexpected {type(exc).__name__}: {exc}; please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_USAGE


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "attack":
        return cli_attack.run(args)
    if args.command in cli_keys.COMMANDS:
        return cli_keys.run_command(args)
    if args.command == "lesson":
        return cli_lesson.run(args)
    if args.command == "autopilot":
        return cli_autopilot.run(args)
    if args.command == "erase":
        return cli_privacy.run(args)
    if args.command == "card":
        _emit(cli_card.run(args), args.json, cli_card.format_result)
        return 0
    if args.command in ("spec", "gate"):
        return cli_spec.run_command(args)
    if args.command in cli_rollouts.COMMANDS:
        _emit(cli_rollouts.run_command(args), args.json, cli_rollouts.format_result)
        return 0
    from core.data.reader import read_path

    if args.command == "inspect":
        _, info = read_path(args.data)
        _emit(info.to_dict(), args.json, _format_inspect)
        return 0

    if args.command == "serve":
        from core.deployment.endpoint.server import serve

        return serve(args.workspace, args.project, args.host, args.port, args.owner_pid)

    from core.pipeline import PipelineConfig, run_demo, run_pipeline
    from core.workspace.database import Workspace

    ws = Workspace(args.workspace)
    # Progress only for a person at a terminal: in a pipe, stderr carries just the one error line.
    progress = _stderr_progress(quiet=args.json or not sys.stderr.isatty())
    if args.command == "demo":
        summary = run_demo(ws, progress=progress)
    else:
        if args.webhook is not None:  # a bad URL is one error line before the pipeline runs, not after
            from core.monitoring.rule_store import validate_webhook_url

            validate_webhook_url(args.webhook)
        if cli_spec.wants_spec(args):
            summary = cli_spec.run_with_spec(args, ws, progress)
            if summary["spec"].get("data_note"):  # e.g. not the uploaded file the spec was made from
                print(f"note: {summary['spec']['data_note']}", file=sys.stderr)
            if args.webhook is not None:
                summary["monitoring"]["alerts_outbox"] = _send_alerts(ws, summary["project"], args.webhook)
            _emit(summary, args.json, _format_summary)
            return 0
        cli_spec.fill_legacy_defaults(args)
        df, info = read_path(args.data)
        test_df = read_path(args.test)[0] if args.test else None
        config = PipelineConfig(
            target=args.target,
            project_name=args.project or Path(args.data).stem,
            scenario=args.scenario,
            label_delay=args.label_delay,
            label_share=args.label_share,
            cv_folds=args.folds,
            retrain_when_recommended=args.retrain,
            tune=args.tune,
            tune_budget=args.budget,
        )
        recipe = read_recipe(args.recipe) if args.recipe else None
        summary = run_pipeline(
            ws, df, info, config, test_df=test_df, progress=progress, source_name=Path(args.data).name, recipe=recipe
        )
        if args.webhook is not None:
            summary["monitoring"]["alerts_outbox"] = _send_alerts(ws, summary["project"], args.webhook)
    _emit(summary, args.json, _format_summary)
    return 0


def _send_alerts(ws, project_name: str, url: str) -> dict[str, Any]:
    """Keep ``url`` as the project's webhook, send the outbox in the background and wait a bounded time
    (``EXIT_WAIT_SECONDS``) for it: what is not sent by then stays pending in the outbox. Returns the
    outbox's counts (pending, sent, failed) and the newest delivery error (``last_error``, or None)."""
    from core.monitoring import delivery, rule_store
    from core.workspace.projects import get_project

    pid = get_project(ws, project_name)["id"]
    rule_store.set_webhook(ws, pid, url)
    delivery.start_delivery(ws, pid, url)
    delivery.wait_for_deliveries(delivery.EXIT_WAIT_SECONDS)
    errors = [row["last_error"] for row in rule_store.get_outbox(ws, pid) if row["last_error"]]
    return {**rule_store.count_outbox(ws, pid), "last_error": errors[0] if errors else None}


def read_input_file(path: str, what: str) -> bytes:
    """The bytes of a file named on the command line (a recipe, a spec): one reader, one error line."""
    from core.workspace.errors import DataError

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read the {what} file {path} ({exc.strerror}); check the path.") from None


def read_recipe(path: str):
    from core.data.cleaning import recipe_from_json

    return recipe_from_json(read_input_file(path, "recipe"))


def _stderr_progress(quiet: bool):
    last = [""]

    def progress(fraction: float, message: str) -> None:
        if not quiet and message != last[0]:
            last[0] = message
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    return progress


def _emit(obj: dict, as_json: bool, fmt) -> None:
    print(dumps(obj) if as_json else fmt(obj))


def _format_inspect(info: dict) -> str:
    thousands = info.get("thousands")
    # Spaces that group thousands are found per column ('1 234,56'); the file-wide mark stays None.
    grouped = [c["name"] for c in info["columns"] if "thousands separator" in str(c.get("note", ""))]
    shown = repr(thousands) if thousands is not None or not grouped else f"per column ({', '.join(grouped)})"
    lines = [
        f"format: {info['format']}  encoding: {info.get('encoding')}  delimiter: {info.get('delimiter')!r}  "
        f"decimal: {info.get('decimal')!r}  thousands: {shown}  "
        f"quote: {info.get('quotechar')!r}  header row: {info.get('header_row')}  rows: {info['rows']}"
    ]
    if info.get("sheets"):
        lines.append(f"sheets: {', '.join(info['sheets'])} (read: {info.get('sheet')})")
    for col in info["columns"]:
        lines.append(f"  {col['name']:<28} {col['dtype']:<10} missing {col['missing']:>6}  {col.get('note', '')}")
        if col.get("examples_not_fitting"):
            lines.append(f"  {'':<28} did not fit: {', '.join(col['examples_not_fitting'])}")
    lines += [f"warning: {w}" for w in info.get("warnings", [])]
    return "\n".join(lines)


def _format_summary(s: dict) -> str:
    gate = s["gate"]
    lines = [
        f"project {s['project']}: {s['task']} of '{s['target']}' on {s['rows']} rows ({s['validation']})",
        "",
        "leaderboard (cross-validated, then holdout):",
    ]
    for entry in s["leaderboard"]:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in entry["test_metrics"].items() if v is not None)
        lines.append(f"  {entry['model']:<28} cv {entry['cv_score']:.3f}   {metrics}")
    if s.get("tuning"):
        t = s["tuning"]
        lines += ["", f"tuning: {t['summary']}", f"  best settings: {t['best_params']}"]
    lines += [f"warning: {w}" for w in s.get("warnings", [])]
    lines += [
        "",
        f"gate: {gate['metric']} {gate['value']:.3f} vs threshold {gate['threshold']} -> "
        f"{'GO' if gate['passed'] else 'NO-GO'}",
        f"registry: {s['registry']['model']} v{s['registry']['version']} ({s['registry']['alias']})"
        + (
            f", answers yes from a score of {s['registry']['decision_threshold']:.2f}"
            if "decision_threshold" in s["registry"]
            else ""
        )
        + (f", model file sha256 {s['registry']['sha256'][:16]}" if s["registry"].get("sha256") else ""),
        *([f"deployment: {s['deployment']['note']}"] if (s.get("deployment") or {}).get("note") else []),
        f"monitoring ({s['monitoring']['scenario']}): drifted features: "
        f"{', '.join(s['monitoring']['drifted_features']) or 'none'}; {s['monitoring']['reason']}",
    ]
    lines += [
        f"  alert ({a['severity']}, rule {a['rule']}): {a['sentence']}" for a in s["monitoring"].get("alerts", [])
    ]
    if "alerts_outbox" in s["monitoring"]:
        sent = s["monitoring"]["alerts_outbox"]
        lines.append(
            f"webhook: {sent['sent']} alert(s) sent, {sent['failed']} failed, {sent['pending']} still pending"
            + (f" (last error: {sent['last_error']})" if sent.get("last_error") else "")
            + ("; the rest stay in the project's outbox on Monitor" if sent["pending"] or sent["failed"] else "")
        )
    if "retrain" in s:
        r = s["retrain"]
        lines.append(
            f"retrain: champion {r['champion_metric_on_fresh']:.3f} vs retrained "
            f"{r['retrained_metric_on_fresh']:.3f} on fresh data; registered {r['registered']}"
        )
    lines.append("timings (s): " + ", ".join(f"{k} {v}" for k, v in s["timings"].items()))
    return "\n".join(lines)


def run() -> None:
    """The console entry point: ``main()``, then leave without the interpreter's teardown. pyarrow's
    thread pool can abort a finished process at teardown (apache/arrow#34314: "terminate called
    without an active exception", exit -6) and break the exit-status contract; everything we write
    is committed or renamed into place by then, so there is nothing left to clean up."""
    from core.workspace.database import flush_pending_writes

    code = main()
    from core.monitoring.delivery import EXIT_WAIT_SECONDS, wait_for_deliveries

    wait_for_deliveries(EXIT_WAIT_SECONDS)  # a webhook still being sent gets a short, bounded wait
    flush_pending_writes()  # os._exit skips atexit: the prediction log's queued rows are written here
    try:
        sys.stdout.flush()  # output to a pipe is buffered: a reader gone by now shows here
    except BrokenPipeError:
        _drop_stdout()
        code = EXIT_CLOSED_PIPE if code == 0 else code
    sys.stderr.flush()
    os._exit(code)


def _drop_stdout() -> None:
    """Send what is left for stdout nowhere: its reader has closed the pipe (Python's own advice, so no
    second BrokenPipeError is raised while flushing)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    run()

"""`mlops-studio spec`, `run --spec` and `gate`: the pipeline spec on the command line (issue 14).

- ``spec --project P [--workspace W] [--json]`` prints the project's spec (YAML; JSON with --json);
  ``spec --json-schema`` prints the spec's JSON Schema.
- ``run --spec F [--data D]`` replays a spec; the Problem flags (``--time-column --group-column --metric
  --threshold --positive-class --costs FN,FP --sensitive-column --models``) override it, and without a
  spec they make one from ``--data``/``--target``.
- ``gate --spec F --data D [--against P] [--workspace W] [--json]`` trains (in a temporary workspace,
  deleted afterwards) and decides: exit 0 on GO, 1 on NO-GO, 2 on an error; with ``--against`` the
  candidate must also not lose to project P's production model on the new data.
Output stays English; errors are the CLI's one line (core.cli.main).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_GO = 0
EXIT_NO_GO = 1

#: `run` flags that take a default only when no spec gives the value (None here: "not given").
LEGACY_DEFAULTS: dict[str, Any] = {
    "scenario": "none",
    "label_delay": 0,
    "label_share": 1.0,
    "folds": 5,
    "budget": 20,
}
PROBLEM_FLAGS = (
    "time_column",
    "group_column",
    "metric",
    "threshold",
    "positive_class",
    "costs",
    "sensitive_column",
    "models",
)


def add_problem_flags(parser: argparse.ArgumentParser) -> None:
    """The flags for every Problem choice (``run`` and ``gate``); each overrides the spec."""
    parser.add_argument("--spec", help="a pipeline spec (YAML or JSON, from `mlops-studio spec` or a template)")
    parser.add_argument("--time-column", help="a date column: check the models on the latest rows (a time split)")
    parser.add_argument("--group-column", help="rows sharing this column's value stay on one side of every split")
    parser.add_argument("--metric", help="the gate's metric (roc_auc, f1_macro, accuracy, r2, rmse, mae)")
    parser.add_argument("--threshold", type=float, help="the bar the metric must reach (at most, for rmse/mae)")
    parser.add_argument("--positive-class", help="binary: the class that means 'the event happened'")
    parser.add_argument(
        "--costs", help="binary: cost of a missed positive and of a false alarm, as FN,FP (e.g. 500,50)"
    )
    parser.add_argument("--sensitive-column", help="the gate compares the model's errors across this column's groups")
    parser.add_argument("--models", help="model families to compare, comma-separated (catalog keys)")


def add_parsers(sub: Any) -> None:
    spec = sub.add_parser("spec", help="print a project's pipeline spec (YAML), or the spec's JSON Schema")
    spec.add_argument("--project", help="the project's name or id, as `run` prints it")
    spec.add_argument("--workspace")
    spec.add_argument("--json-schema", action="store_true", help="print the spec's JSON Schema instead")
    spec.add_argument("--json", action="store_true", help="print the spec as JSON instead of YAML")

    gate = sub.add_parser("gate", help="train on new data with a spec and decide GO (exit 0) or NO-GO (exit 1)")
    gate.add_argument("--data", required=True, help="the new data (CSV, TSV, Excel or Parquet)")
    gate.add_argument("--target", help="the column to predict (overrides the spec)")
    gate.add_argument("--workspace", help="the workspace holding the --against project (the gate trains elsewhere)")
    gate.add_argument(
        "--against",
        help="a project (name or id) whose model in production the candidate must not lose to on the new data",
    )
    gate.add_argument("--project", help="name shown for the gate's (temporary) training project (default: the spec's)")
    gate.add_argument("--json", action="store_true", help="print one JSON object")
    add_problem_flags(gate)


def problem_flags(args: argparse.Namespace):
    from core.spec.overrides import ProblemFlags, parse_costs, parse_models

    return ProblemFlags(
        target=getattr(args, "target", None),
        time_column=args.time_column,
        group_column=args.group_column,
        metric=args.metric,
        threshold=args.threshold,
        positive_class=args.positive_class,
        costs=parse_costs(args.costs) if args.costs is not None else None,
        sensitive_column=args.sensitive_column,
        models=parse_models(args.models) if args.models is not None else None,
    )


def missing_run_arguments(args: argparse.Namespace) -> str | None:
    """`run` needs --data and --target, unless a spec names the table and the target."""
    if getattr(args, "spec", None) is not None:
        return None
    missing = [f"--{name}" for name in ("data", "target") if getattr(args, name, None) is None]
    if not missing:
        return None
    return f"the following arguments are required: {', '.join(missing)} (or --spec, a pipeline spec)"


def wants_spec(args: argparse.Namespace) -> bool:
    """`run` goes through a spec when one is given or a Problem flag is used."""
    return args.spec is not None or any(getattr(args, name) is not None for name in PROBLEM_FLAGS)


def fill_legacy_defaults(args: argparse.Namespace) -> None:
    for name, value in LEGACY_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def read_spec_file(path: str):
    from core.cli import read_input_file
    from core.spec import load_spec

    return load_spec(read_input_file(path, "spec"))


def spec_for_run(args: argparse.Namespace):
    """The spec `run` replays: the file given with --spec (or one made from --data/--target), with the
    other `run` flags and the Problem flags set on top."""
    from core.spec import PipelineSpec, apply_flags, spec_from_dict, spec_to_dict
    from core.spec.convert import check_spec

    spec = read_spec_file(args.spec) if args.spec is not None else _spec_from_data(args)
    data = spec_to_dict(spec)
    if args.project is not None:
        data["project"]["name"] = args.project
    for flag, (section, field) in {
        "scenario": ("monitoring", "scenario"),
        "label_delay": ("monitoring", "label_delay"),
        "label_share": ("monitoring", "label_share"),
        "folds": ("training", "cv_folds"),
        "budget": ("tuning", "budget"),
        "tune": ("tuning", "method"),
    }.items():
        if getattr(args, flag) is not None:
            data[section][field] = getattr(args, flag)
    if args.retrain:
        data["monitoring"]["retraining"]["when_recommended"] = True
    if args.recipe is not None:
        from core.cli import read_recipe

        data["cleaning"]["recipe"] = [step.to_dict() for step in read_recipe(args.recipe).steps]
    checked: PipelineSpec = spec_from_dict(data, check=check_spec)
    return apply_flags(checked, problem_flags(args))


def _spec_from_data(args: argparse.Namespace):
    """Without --spec, the Problem flags make one: the table and the target from --data/--target, and the
    group column the Problem page would pre-select (unless --group-column names one)."""
    from core.spec import PipelineSpec

    if args.data is None or args.target is None:
        from core.workspace.errors import ConfigError

        raise ConfigError("--data and --target are required unless --spec is given")
    spec = PipelineSpec.model_validate({"data": {"source": args.data}, "problem": {"target": args.target}})
    if args.group_column is None:
        group = _suggested_group(args.data, args.target, args.time_column)
        if group is not None:
            spec = spec.model_copy(update={"problem": spec.problem.model_copy(update={"group_column": group})})
    return spec


def _suggested_group(data: str, target: str, time_column: str | None) -> str | None:
    from dataclasses import replace

    from core.data.reader import read_path
    from core.problem.definition import suggest_problem
    from core.training.caveats import suggest_group_column

    df, _info = read_path(data)
    if target not in df.columns:
        return None  # the run says so, with the columns
    problem = replace(suggest_problem(df, target), time_column=time_column)
    return suggest_group_column(df, problem)


def run_with_spec(args: argparse.Namespace, ws: Any, progress: Any) -> dict[str, Any]:
    from core.spec import run_spec

    spec = spec_for_run(args)
    return run_spec(ws, spec, data_path=args.data, progress=progress, test_path=args.test)


def run_command(args: argparse.Namespace) -> int:
    """`spec` and `gate`: print, and return the exit status."""
    from core.workspace.jsonable import dumps

    if args.command == "spec":
        from core.spec import dump_spec, export_spec, json_schema_text, spec_to_dict

        if args.json_schema:
            print(json_schema_text(), end="")
            return 0
        if args.project is None:
            from core.workspace.errors import ConfigError

            raise ConfigError("spec needs --project (a project's name or id, as `run` prints it) or --json-schema")
        ws = _workspace(args)
        from core.workspace.projects import resolve_project

        spec = export_spec(ws, int(resolve_project(ws, args.project)["id"]))
        print(dumps(spec_to_dict(spec)) if args.json else dump_spec(spec), end="" if not args.json else "\n")
        return 0
    # gate
    from core.spec import apply_flags, gate_spec

    if args.spec is None:
        from core.workspace.errors import ConfigError

        raise ConfigError("gate needs --spec (a pipeline spec, e.g. from `mlops-studio spec --project P`)")
    gated = apply_flags(read_spec_file(args.spec), problem_flags(args))
    production = _workspace(args) if args.against is not None else None  # the gate itself trains in a temp folder
    outcome = gate_spec(production, gated, data_path=args.data, name=args.project, against=args.against)
    if outcome.data_note:
        print(f"note: {outcome.data_note}", file=sys.stderr)
    print(dumps(outcome.to_dict()) if args.json else format_gate(outcome.to_dict()))
    return EXIT_GO if outcome.passed else EXIT_NO_GO


def _workspace(args: argparse.Namespace):
    from core.workspace.database import Workspace

    return Workspace(args.workspace)


def format_gate(outcome: dict[str, Any]) -> str:
    value = outcome["value"]
    lines = [
        f"gate: {outcome['decision']} - {outcome['model']}: {outcome['metric']} "
        f"{'n/a' if value is None else f'{value:.3f}'} vs threshold {outcome['threshold']} "
        f"(project {outcome['project']}, {outcome['rows']} rows, {outcome['validation']})"
        + (f" against production of project {outcome['against']}" if outcome.get("against") else ""),
    ]
    for check in outcome["checks"]:
        mark = "pass" if check["passed"] else "FAIL"
        role = "" if check.get("decides", True) else " (shown, does not decide)"
        lines.append(f"  [{mark}] {check['name']}{role}: {check['sentence']}")
    return "\n".join(lines)

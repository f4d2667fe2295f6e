"""The pipeline spec (issue 14): everything a project chose, as one versioned YAML file that is validated,
exported from a project, turned into a new project, replayed headless and used as a CI gate.

- ``PipelineSpec`` (models): the sections and their fields, each documented.
- ``load_spec`` / ``dump_spec`` / ``json_schema`` (io): YAML or JSON in, stable YAML out, the JSON Schema.
- ``export_spec`` (export): a project's choices, from the workspace.
- ``create_project_from_spec`` (apply): a new project with the spec's choices, nothing trained.
- ``run_spec`` / ``gate_spec`` (replay): the headless replay and the CI gate.
Errors are ``SpecError``: one line naming the field path, the value and what is allowed.
"""

from core.spec.apply import create_project_from_spec, read_spec_data
from core.spec.ci_gate import GateOutcome, gate_spec
from core.spec.errors import SpecError
from core.spec.export import export_spec
from core.spec.io import dump_spec, json_schema, json_schema_text, load_spec, spec_from_dict, spec_to_dict
from core.spec.models import SPEC_VERSION, PipelineSpec
from core.spec.overrides import ProblemFlags, apply_flags
from core.spec.replay import run_spec

__all__ = [
    "SPEC_VERSION",
    "GateOutcome",
    "PipelineSpec",
    "ProblemFlags",
    "SpecError",
    "apply_flags",
    "create_project_from_spec",
    "dump_spec",
    "export_spec",
    "gate_spec",
    "json_schema",
    "json_schema_text",
    "load_spec",
    "read_spec_data",
    "run_spec",
    "spec_from_dict",
    "spec_to_dict",
]

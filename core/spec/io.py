"""Reading and writing a pipeline spec: YAML (or JSON) text in, YAML out with a stable key order, and the
JSON Schema editors use. Every problem is one ``SpecError`` line that names the field path, the value and
what is allowed."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from core.i18n import _
from core.spec.errors import SpecError
from core.spec.models import SPEC_VERSION, PipelineSpec

SCHEMA_ID = "https://mlops-studio.example/pipeline-spec.schema.json"
MAX_SPEC_BYTES = 1_000_000
_HEADER = (
    "# MLOps Studio pipeline spec (spec_version {version}): every field is described in docs/spec.md;\n"
    "# editors validate it with docs/pipeline-spec.schema.json.\n"
)


def load_spec(text: str | bytes) -> PipelineSpec:
    """Parse and validate a spec written as YAML or JSON. Raises ``SpecError`` (one line) when it is not
    a mapping, names an unknown field, holds a value of the wrong type or out of range, or breaks a
    rule of the studio's own settings (a metric that does not fit the task, a canary ramp that falls…)."""
    from core.spec.convert import check_spec

    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpecError(_("The spec is not UTF-8 text; save it as UTF-8 and try again.")) from None
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(_("The spec is larger than 1 MB; a pipeline spec is a short text file."))
    try:
        data = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (line {line})").format(line=mark.line + 1) if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(
            _("The spec is not valid YAML or JSON{where}: {problem}.").format(where=where, problem=problem)
        ) from None
    return spec_from_dict(data, check=check_spec)


def spec_from_dict(data: Any, check: Any = None) -> PipelineSpec:
    """Validate a parsed spec (a dict); ``check`` runs the cross-field rules on the result."""
    if not isinstance(data, dict):
        raise SpecError(
            _("A spec must be a mapping of sections (project, data, problem…); got {kind} instead.").format(
                kind=type(data).__name__ if data is not None else _("an empty file")
            )
        )
    version = data.get("spec_version", SPEC_VERSION)
    if version != SPEC_VERSION:
        raise SpecError(
            _("spec_version: {value} is not supported; this studio reads spec_version {version}.").format(
                value=repr(version), version=SPEC_VERSION
            ),
            "spec_version",
        )
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc) from None
    if check is not None:
        check(spec)
    return spec


def dump_spec(spec: PipelineSpec) -> str:
    """The spec as YAML, sections and fields in the model's order, every field written (so a reader sees
    every choice). ``dump_spec(load_spec(dump_spec(s))) == dump_spec(s)``."""
    body = yaml.safe_dump(spec_to_dict(spec), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return _HEADER.format(version=SPEC_VERSION) + body


def spec_to_dict(spec: PipelineSpec) -> dict[str, Any]:
    """The spec as plain JSON types (lists, not tuples), in field order."""
    return spec.model_dump(mode="json")


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``PipelineSpec``, published as docs/pipeline-spec.schema.json."""
    schema = PipelineSpec.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def json_schema_text() -> str:
    """The schema file's exact text (``mlops-studio spec --json-schema`` prints it)."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# -- One line per problem -------------------------------------------------------------------------------
def format_validation_error(exc: ValidationError) -> SpecError:
    """The first of pydantic's errors as one line: ``problem.metric: 'acc' is not one of roc_auc, …``."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    path = _path(loc)
    value = error.get("input")
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(loc[:-1]))
        message = _("{path}: is not a field of this section; the fields are {allowed}.").format(
            path=path, allowed=allowed
        )
    elif kind == "missing":
        message = _("{path}: is required.").format(path=path)
    elif kind in ("literal_error", "enum"):
        message = _("{path}: {value} is not one of {allowed}.").format(
            path=path, value=_shown(value), allowed=_expected(ctx.get("expected", ""))
        )
    else:
        message = _("{path}: {value} is not allowed: {reason}.").format(
            path=path, value=_shown(value), reason=str(error["msg"]).rstrip(".").lower()
        )
    return SpecError(message, path)


def _path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif str(item) in ("literal['balanced']", "float", "int", "str", "bool", "list[str]") or "[" in str(item):
            continue  # pydantic names the union member it tried; the person wrote one field
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "spec"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _expected(text: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b, c"."""
    return text.replace("'", "").replace(" or ", ", ")


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the section at ``loc`` (for "the fields are …")."""
    model: type[BaseModel] = PipelineSpec
    for item in loc:
        if isinstance(item, int):
            continue
        field = model.model_fields.get(str(item))
        if field is None:
            break
        nested = _model_of(field.annotation)
        if nested is None:
            break
        model = nested
    return list(model.model_fields)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None

"""The pipeline spec's ``feature_store`` section: the catalog features a project uses, each written out in
full (so a spec carries them to another workspace), and the two conversions:

- ``export_feature_store(ws, project_id)``: the section of a project (None when it uses none);
- ``apply_feature_store(ws, project_id, section)``: register each definition in the workspace's catalog
  (identical content is the version already there) and add it to the project.

Each definition is checked by the feature store's own rules (``definitions.definition_from_dict``), so a
bad one is one ``SpecError`` line naming ``feature_store.features[i]``. ``source`` names the events
table: ``sample:<name>`` (a bundled sample file, e.g. ``sample:card_events``) or none: the project's own
data (its newest raw dataset). A file path is never read from a spec.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.featurestore import catalog
from core.featurestore.definitions import definition_from_dict
from core.i18n import _
from core.spec.errors import SpecError
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, DataError

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
_SAMPLE = re.compile(r"sample:([a-z][a-z0-9_]{0,62})")
SOURCES_PROJECT = "Feature store samples"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class FeatureDefinitionSpec(_Section):
    """One catalog feature: a named, versioned definition shared across projects."""

    name: str = Field(description="The feature's name: lowercase letters, digits and underscores.")
    version: int | None = Field(
        default=None,
        ge=1,
        description="The catalog version the project used (for the reader: applying registers the definition, "
        "and identical content is the version already in the catalog).",
    )
    entity: str = Field(description="The column naming whom the value is about, e.g. customer_id.")
    timestamp: str = Field(description="The column of each event's moment.")
    expression: str | None = Field(
        default=None,
        description="The value of each event: amount, log1p(amount), ratio(a, b), difference(a, b), "
        "clip(amount, 0, 500), equals(kind, 'chargeback'); none only for count.",
    )
    aggregate: Literal["count", "sum", "mean", "min", "max", "last"] = Field(
        default="last", description="How the events before the moment are summed up."
    )
    window: Literal["24h", "7d", "30d"] | None = Field(
        default=None, description="How far back events count; none: the whole history."
    )
    owner: str = Field(description="Who answers for the feature.")
    description: str = Field(description="What the feature means, in a sentence.")
    source: str | None = Field(
        default=None,
        description="The events table: sample:<name> (a bundled sample such as sample:card_events) or none: "
        "the project's own data.",
    )


class FeatureStoreSpec(_Section):
    """The catalog features the project uses, joined point-in-time into its training table."""

    features: list[FeatureDefinitionSpec] = Field(
        default_factory=list, description="The catalog features the project uses, in the order it added them."
    )


def _path(i: int, field: str = "") -> str:
    return f"feature_store.features[{i}]" + (f".{field}" if field else "")


def check_feature_store(section: FeatureStoreSpec) -> list[Any]:
    """Each definition checked by the feature store's rules (no source needed): the validated
    ``FeatureDefinition``s, or one SpecError naming the first bad one."""
    out = []
    for i, feature in enumerate(section.features):
        data = feature.model_dump(exclude={"version", "source"})
        try:
            out.append(definition_from_dict(data))
        except ConfigError as exc:
            raise SpecError(f"{_path(i)}: {exc}", _path(i)) from None
        if feature.source is not None and not _SAMPLE.fullmatch(feature.source):
            where = _path(i, "source")
            raise SpecError(
                where
                + ": "
                + _(
                    "must be sample:<name> (a bundled sample) or empty (the project's own data); got {got} instead."
                ).format(got=repr(feature.source)),
                where,
            )
    return out


def export_feature_store(ws: Workspace, project_id: int) -> FeatureStoreSpec | None:
    """The section of a project: every catalog feature it uses (None when it uses none). A source that
    is a bundled sample file is written ``sample:<name>``; any other is written as none (the project's
    own data), which is what it is unless the table came from another project."""
    used = catalog.project_definitions(ws, project_id)
    if not used:
        return None
    features = []
    for stored in used:
        data = stored["definition"].to_dict()
        expression = stored["definition"].expression
        dataset = ws.query_one("SELECT name FROM datasets WHERE id = ?", (stored["source_dataset_id"],))
        name = str(dataset["name"]) if dataset else ""
        stem = name[:-4] if name.endswith(".csv") else name
        sample = f"sample:{stem}" if _SAMPLE.fullmatch(f"sample:{stem}") and (SAMPLE_DIR / name).is_file() else None
        features.append(
            FeatureDefinitionSpec(
                name=data["name"],
                version=int(stored["version"]),
                entity=data["entity"],
                timestamp=data["timestamp"],
                expression=expression.describe() if expression is not None else None,
                aggregate=data["aggregate"],
                window=data["window"],
                owner=data["owner"],
                description=data["description"],
                source=sample,
            )
        )
    return FeatureStoreSpec(features=features)


def _source_dataset(ws: Workspace, project_id: int, source: str | None, path: str) -> int:
    from core.data.datasets import latest_dataset, save_dataset

    if source is None:
        found = latest_dataset(ws, project_id, "raw")
        if found is None:
            raise SpecError(
                path + ": " + _("the project has no data yet to compute the feature from; load its data first."), path
            )
        return int(found["id"])
    match = _SAMPLE.fullmatch(source)
    file = SAMPLE_DIR / f"{match.group(1) if match else ''}.csv"
    if match is None or not file.is_file():
        raise SpecError(path + ": " + _("{source} is not a bundled sample.").format(source=repr(source)), path)
    import pandas as pd

    from core.workspace.errors import NotFoundError
    from core.workspace.projects import create_project, get_project

    try:  # bundled samples are kept in a project of their own, never among a project's data versions
        holder = get_project(ws, SOURCES_PROJECT)
    except NotFoundError:
        holder = create_project(ws, SOURCES_PROJECT, source="sample_data")
    existing = ws.query_one(
        "SELECT id FROM datasets WHERE project_id = ? AND name = ? ORDER BY id DESC LIMIT 1", (holder["id"], file.name)
    )
    if existing is not None:
        return int(existing["id"])
    table = pd.read_csv(file)  # our own file: read plainly
    return int(save_dataset(ws, int(holder["id"]), table, kind="raw", name=file.name)["id"])


def apply_feature_store(ws: Workspace, project_id: int, section: FeatureStoreSpec | None) -> list[dict[str, Any]]:
    """Register each definition of ``section`` (with its source) and add it to the project, in order.
    Returns the stored definitions. None or an empty section: nothing is done."""
    if section is None:
        return []
    from core.featurestore.project_features import add_to_project

    definitions = check_feature_store(section)
    stored = []
    for i, (feature, definition) in enumerate(zip(section.features, definitions)):
        source_id = _source_dataset(ws, project_id, feature.source, _path(i, "source"))
        try:
            row = catalog.register_definition(ws, replace(definition, source_dataset_id=source_id))
        except (ConfigError, DataError) as exc:
            raise SpecError(f"{_path(i)}: {exc}", _path(i)) from None
        add_to_project(ws, project_id, row["name"], int(row["version"]))
        stored.append(row)
    return stored

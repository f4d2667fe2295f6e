"""A project's catalog features: which definitions it uses, and its training table with each of them
joined point-in-time (every labelled row gets each feature's value as of its own moment, from the
definition's whole history: its source table and the events recorded since).

The Train stage calls ``with_catalog_features`` where it loads the training table
(``core.stages.lab``): a project that uses no catalog feature trains exactly as before.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.featurestore import catalog
from core.featurestore.keys import canonical_keys
from core.featurestore.online import history
from core.featurestore.transforms import values_at
from core.i18n import _
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, DataError, NotFoundError


def add_to_project(ws: Workspace, project_id: int, name: str, version: int | None = None) -> dict[str, Any]:
    """Add catalog feature ``name`` (``version``: default the newest) to the project's feature set; a
    project uses one version of a name, so another version it used is replaced. Returns the stored
    definition (``catalog.get_definition``)."""
    stored = catalog.get_definition(ws, name, version)
    for used in catalog.project_definitions(ws, project_id):
        if used["name"] == name and used["id"] != stored["id"]:
            catalog.stop_using(ws, project_id, int(used["id"]))
    catalog.use_in_project(ws, project_id, int(stored["id"]))
    return stored


def remove_from_project(ws: Workspace, project_id: int, name: str) -> None:
    """Stop using every version of catalog feature ``name`` in the project (nothing if it used none)."""
    for used in catalog.project_definitions(ws, project_id):
        if used["name"] == name:
            catalog.stop_using(ws, project_id, int(used["id"]))


def project_feature_names(ws: Workspace, project_id: int) -> list[str]:
    """The names of the catalog features the project uses, in the order it added them."""
    return [str(stored["name"]) for stored in catalog.project_definitions(ws, project_id)]


def _check_column(labelled: pd.DataFrame, column: str, what: str) -> None:
    if column not in labelled.columns:
        raise DataError(
            _("The table has no {what} column '{column}'; its columns are: {columns}.").format(
                what=what, column=column, columns=", ".join(map(str, labelled.columns))
            )
        )


def _join(
    ws: Workspace, stored_list: list[dict[str, Any]], labelled: pd.DataFrame, entity_column: str, time_column: str
) -> pd.DataFrame:
    out = labelled.copy()
    if not stored_list:
        return out
    entities = canonical_keys(labelled[entity_column])
    for stored in stored_list:
        definition = stored["definition"]
        events = history(ws, stored)
        # A column of the same name (a table that went through serving already) is recomputed here.
        out[definition.name] = values_at(definition, events, entities, labelled[time_column]).to_numpy()
    return out


def training_frame(
    ws: Workspace, project_id: int, labelled: pd.DataFrame, entity_column: str, time_column: str
) -> pd.DataFrame:
    """``labelled`` (same rows, order and index) with one column per catalog feature the project uses,
    each row's value as of its ``time_column`` moment for its ``entity_column`` key (1, 1.0 and "1" are
    one key), never a later one. Unchanged when the project uses no catalog feature."""
    _check_column(labelled, entity_column, _("entity"))
    _check_column(labelled, time_column, _("time"))
    return _join(ws, catalog.project_definitions(ws, project_id), labelled, entity_column, time_column)


def _time_column(labelled: pd.DataFrame, definition: Any, problem: Any) -> str:
    chosen = getattr(problem, "time_column", None) if problem is not None else None
    if chosen and chosen in labelled.columns:
        return str(chosen)
    if definition.timestamp in labelled.columns:
        return str(definition.timestamp)
    raise ConfigError(
        _(
            "The catalog feature '{name}' needs the moment of each row to be joined point-in-time, but the table "
            "has no column '{column}' and the problem names no time column; set the time column on the Problem "
            "page or remove the feature from the project."
        ).format(name=definition.name, column=definition.timestamp)
    )


def with_catalog_features(ws: Workspace, project_id: int, labelled: pd.DataFrame, problem: Any = None) -> pd.DataFrame:
    """The Train stage's hook: ``labelled`` with the project's catalog features joined point-in-time.
    Each feature's entity column is the column of the definition's entity name; the moment is the
    problem's time column, else the definition's timestamp column. Unchanged when the project uses none."""
    try:
        used = catalog.project_definitions(ws, project_id)
    except NotFoundError:
        return labelled
    if not used:
        return labelled
    out = labelled
    for stored in used:
        definition = stored["definition"]
        if definition.entity not in labelled.columns:
            raise ConfigError(
                _(
                    "The catalog feature '{name}' is computed per '{entity}', but the training table has no such "
                    "column; add it to the data or remove the feature from the project."
                ).format(name=definition.name, entity=definition.entity)
            )
        out = _join(ws, [stored], out, definition.entity, _time_column(labelled, definition, problem))
    return out

"""The feature store's definitions, lineage and freshness in words people read (shared by its panels)."""

from __future__ import annotations

from typing import Any

from core.featurestore import catalog
from core.featurestore.definitions import FeatureDefinition
from core.i18n import N_, _
from core.workspace.errors import NotFoundError
from ui.text import escape_markdown

AGGREGATE_WORDS = {
    "count": N_("number of events"),
    "sum": N_("sum of {expression}"),
    "mean": N_("average of {expression}"),
    "min": N_("smallest {expression}"),
    "max": N_("largest {expression}"),
    "last": N_("latest {expression}"),
}
AGGREGATE_LABELS = {
    "last": N_("latest value (a row-level expression)"),
    "count": N_("count of events"),
    "sum": N_("sum"),
    "mean": N_("average"),
    "min": N_("minimum"),
    "max": N_("maximum"),
}
WINDOW_WORDS = {
    "24h": N_("in the 24 hours before the moment"),
    "7d": N_("in the 7 days before the moment"),
    "30d": N_("in the 30 days before the moment"),
    "all": N_("over the whole history before the moment"),
}
WINDOW_LABELS = {
    "all": N_("whole history"),
    "24h": N_("last 24 hours"),
    "7d": N_("last 7 days"),
    "30d": N_("last 30 days"),
}


def describe_definition(definition: FeatureDefinition) -> str:
    """E.g. "sum of equals(kind, 'chargeback') per customer_id, in the 30 days before the moment"."""
    expression = definition.expression.describe() if definition.expression is not None else ""
    what = _(AGGREGATE_WORDS[definition.aggregate]).format(expression=expression)
    if definition.aggregate == "last" and definition.window is None:
        return _("{what} per {entity} (its newest event before the moment)").format(what=what, entity=definition.entity)
    window = WINDOW_WORDS[definition.window or "all"]
    return _("{what} per {entity}, {window}").format(what=what, entity=definition.entity, window=_(window))


def _source_words(ws, stored: dict[str, Any]) -> str:
    from core.data.datasets import get_dataset
    from core.workspace.projects import get_project

    try:
        dataset = get_dataset(ws, int(stored["source_dataset_id"]))
        project = get_project(ws, int(dataset["project_id"]))
    except (NotFoundError, TypeError, ValueError):
        return _("a table no longer in any project (kept with the definition)")
    return _("table {table} version {version} of project {project}").format(
        table=escape_markdown(dataset["name"]), version=dataset["version"], project=escape_markdown(project["name"])
    )


def lineage_line(ws, stored: dict[str, Any]) -> str:
    """Markdown, user text escaped: source dataset version → the definition → projects → their models."""
    from core.registry.versions import get_model_names
    from core.workspace.projects import get_project

    name = stored["name"]
    users = catalog.users_of(ws, name)
    parts = [
        _source_words(ws, stored),
        _("**{name}** version {version}").format(name=escape_markdown(name), version=stored["version"]),
    ]
    if users:
        parts.append(_("projects {projects}").format(projects=", ".join(escape_markdown(u) for u in users)))
        models: list[str] = []
        for user in users:
            try:
                models += get_model_names(ws, int(get_project(ws, user)["id"]))
            except NotFoundError:
                continue
        if models:
            parts.append(
                _("models {models}").format(models=", ".join(escape_markdown(m) for m in dict.fromkeys(models)))
            )
    else:
        parts.append(_("no project yet"))
    return _("Lineage: {chain}").format(chain=" → ".join(parts))


def freshness_sentence(ws, name: str) -> str:
    """How fresh the online values of ``name`` are, in one sentence."""
    from core.featurestore.charts import describe_freshness
    from core.featurestore.online import freshness

    return _("Freshness: {sentence}").format(sentence=describe_freshness(freshness(ws, name)))

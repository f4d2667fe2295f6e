"""The feature store on the Features page: one section, five views (catalog, define, lesson, materialise
and monitor, score by entity id), each its own panel module. The page calls ``feature_store_section``.

The catalog is the workspace's, not the project's: every project sees every definition, adds the ones
it uses and can remove them; each definition shows its owner, description, versions, users, lineage and
freshness.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.featurestore import catalog, project_features
from core.featurestore.definitions import FeatureDefinition
from core.i18n import N_, _, ngettext
from ui.featurestore_words import describe_definition, freshness_sentence, lineage_line
from ui.text import escape_markdown
from ui.widgets import flash, option_labels, show_flash, user_errors

VIEW_KEY = "fs_view"
VIEWS = {
    "catalog": N_("Catalog"),
    "define": N_("Define a feature"),
    "lesson": N_("Point-in-time lesson"),
    "online": N_("Materialise and monitor"),
    "score": N_("Score by entity id"),
}
# The catalog table's headers (our keys -> words people read).
HEADERS = {
    "name": N_("feature name"),
    "version": N_("version"),
    "entity": N_("entity"),
    "computed": N_("computed as"),
    "owner": N_("owner"),
    "used_by": N_("used by"),
}


def feature_store_section(ws, project: dict[str, Any]) -> None:
    """The whole feature store section, under the project's own feature settings (or alone, when the
    project has no cleaned table or problem yet: the catalog and the lesson need neither)."""
    st.divider()
    st.subheader(_("Feature store: definitions shared by every project"))
    st.caption(
        _(
            "A feature defined once (an entity, a source table, a timestamp and a computation) is reused by "
            "every project that adds it, computed the same way for training and for serving."
        )
    )
    show_flash()
    labels = {code: _(label) for code, label in VIEWS.items()}
    view = st.radio(
        _("Show"),
        list(VIEWS),
        format_func=option_labels(labels),
        horizontal=True,
        key=VIEW_KEY,
        label_visibility="collapsed",
    )
    with user_errors():
        if view == "define":
            from ui.featurestore_define import define_panel

            define_panel(ws, project)
        elif view == "lesson":
            from ui.featurestore_lesson import lesson_panel

            lesson_panel(ws)
        elif view == "online":
            from ui.featurestore_online import online_panel

            online_panel(ws, project)
        elif view == "score":
            from ui.featurestore_online import entity_scoring_panel

            entity_scoring_panel(ws, project)
        else:
            catalog_panel(ws, project)


def matching(table: pd.DataFrame, search: str) -> pd.DataFrame:
    """The catalog rows whose name, entity, description or owner contain ``search`` (any case)."""
    needle = search.strip().lower()
    if not needle or table.empty:
        return table
    hit = pd.Series(False, index=table.index)
    for column in ("name", "entity", "description", "owner"):
        hit |= table[column].astype(str).str.lower().str.contains(needle, regex=False)
    return table[hit]


def catalog_panel(ws, project: dict[str, Any]) -> None:
    pid = int(project["id"])
    everything = catalog.list_definitions(ws)
    if everything.empty:
        st.info(
            _(
                "The catalog is empty. Define a feature from one of this project's tables, or run the "
                "point-in-time lesson: it adds its four features."
            )
        )
        return
    search = st.text_input(
        _("Search by name, entity or description"),
        key="fs_search",
        placeholder=_("e.g. customer_id or chargebacks"),
    )
    table = matching(everything, search)
    if table.empty:
        st.warning(_("No feature matches {search}.").format(search=escape_markdown(repr(search.strip()))))
        return
    shown = pd.DataFrame(
        {
            "name": table["name"],
            "version": table["version"],
            "entity": table["entity"],
            "computed": [describe_definition(catalog.get_definition(ws, name)["definition"]) for name in table["name"]],
            "owner": table["owner"],
            "used_by": table["used_by"],
        }
    ).rename(columns={k: _(v) for k, v in HEADERS.items()})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(
        ngettext(
            "{n} feature in this workspace's catalog (its newest version), with the projects that use it.",
            "{n} features in this workspace's catalog (each at its newest version), with the projects that use them.",
            len(table),
        ).format(n=len(table))
    )
    names = list(table["name"])
    chosen = st.selectbox(_("Catalog feature"), names, key="fs_pick")
    if chosen is not None:
        feature_details(ws, pid, str(chosen))


def _versions(ws, name: str) -> list[dict[str, Any]]:
    newest = catalog.get_definition(ws, name)
    return [catalog.get_definition(ws, name, v) for v in range(1, int(newest["version"]) + 1)]


def _used_here(ws, pid: int, name: str) -> dict[str, Any] | None:
    """The version of ``name`` this project uses (the newest it added), or None."""
    used = [row for row in catalog.project_definitions(ws, pid) if row["name"] == name]
    return used[-1] if used else None


def feature_details(ws, pid: int, name: str) -> None:
    versions = _versions(ws, name)
    newest = versions[-1]
    definition: FeatureDefinition = newest["definition"]
    with st.container(border=True):
        st.markdown(
            _("**{name}** · version {version} · owner: {owner}").format(
                name=escape_markdown(name), version=newest["version"], owner=escape_markdown(definition.owner)
            )
        )
        st.markdown(escape_markdown(definition.description))
        st.caption(escape_markdown(describe_definition(definition)))
        st.markdown(lineage_line(ws, newest))
        st.caption(escape_markdown(freshness_sentence(ws, name)))
        used = _used_here(ws, pid, name)
        c1, c2 = st.columns(2)
        if used is None:
            if c1.button(_("Add to this project"), key="fs_add", type="primary"):
                _add(ws, pid, name)
                flash("success", _("Feature {name} added to this project.").format(name=escape_markdown(name)))
                st.rerun()
        else:
            c1.caption(_("This project uses version {version}.").format(version=used["version"]))
            if int(used["version"]) < int(newest["version"]) and c1.button(
                _("Use version {version}").format(version=newest["version"]), key="fs_upgrade"
            ):
                _add(ws, pid, name)  # a project uses one version of a name: the newest replaces the old
                flash(
                    "success",
                    _("This project now uses {name} version {version}; train again for the models to use it.").format(
                        name=escape_markdown(name), version=newest["version"]
                    ),
                )
                st.rerun()
            if c2.button(_("Remove from this project"), key="fs_remove"):
                _remove(ws, pid, name)
                flash("info", _("Feature {name} removed from this project.").format(name=escape_markdown(name)))
                st.rerun()
        if len(versions) > 1:
            history = pd.DataFrame(
                {
                    _("version"): [v["version"] for v in versions],
                    _("computed as"): [describe_definition(v["definition"]) for v in versions],
                    _("source dataset"): [v["source_dataset_id"] for v in versions],
                    _("description"): [v["description"] for v in versions],
                }
            )
            st.dataframe(history, hide_index=True, width="stretch")
            st.caption(
                _("Every version of {name}: a version never changes, a change makes the next one.").format(
                    name=escape_markdown(name)
                )
            )


def _add(ws, pid: int, name: str) -> None:
    project_features.add_to_project(ws, pid, name)


def _remove(ws, pid: int, name: str) -> None:
    project_features.remove_from_project(ws, pid, name)

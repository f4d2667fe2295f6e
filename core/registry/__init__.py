"""The model registry: numbered versions, champion/challenger aliases, and the audit log.

The registry's operations live in ``versions``; they are handed on here, so callers write
``from core import registry`` and ``registry.get_alias_version(...)``."""

from core.registry.versions import (
    ALIASES,
    find_model_name,
    get_alias_version,
    get_audit_df,
    get_decision_threshold,
    get_model_name,
    get_model_names,
    get_model_problem,
    get_version,
    get_version_of_run,
    get_version_problem,
    get_versions_df,
    load_version_model,
    predicts_same,
    promote_challenger,
    promote_version,
    register_model,
    rollback_champion,
    set_alias,
    version_label,
)

__all__ = [
    "ALIASES",
    "find_model_name",
    "get_alias_version",
    "get_audit_df",
    "get_decision_threshold",
    "get_model_name",
    "get_model_names",
    "get_model_problem",
    "get_version",
    "get_version_of_run",
    "get_version_problem",
    "get_versions_df",
    "load_version_model",
    "predicts_same",
    "promote_challenger",
    "promote_version",
    "register_model",
    "rollback_champion",
    "set_alias",
    "version_label",
]

"""Lineage as data: what every artifact of a project was made from, as a graph (drawn by `core.data.charts`)."""

from __future__ import annotations

import json

import pandas as pd

from core.formatting import format_count
from core.i18n import N_, _, ngettext
from core.workspace.database import Workspace

# Left to right, the order things are made in.
LAYERS = (
    N_("raw data"),
    N_("recipe"),
    N_("cleaned data"),
    N_("feature set"),
    N_("experiment"),
    N_("model version"),
    N_("deployment"),
    N_("monitoring"),
)


def get_lineage_graph(ws: Workspace, project_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges). nodes: node, layer, label, sha256 (first 12 characters, where hashed);
    edges: source, target (node ids such as 'dataset:3')."""
    nodes: list[dict] = []
    edges: list[tuple[str, str]] = []

    def node(key: str, layer: str, label: str, sha: str | None = None) -> None:
        short = label.split(":")[0].split(" (")[0]  # "cleaned data v2", "churn v1": fits on the chart
        nodes.append({"node": key, "layer": layer, "label": label, "short": short, "sha256": (sha or "")[:12]})

    q = lambda sql: ws.query(sql, (project_id,))  # noqa: E731 - a short local alias
    for d in q("""SELECT d.*, a.sha256 FROM datasets d JOIN artifacts a ON a.id = d.artifact_id
                  WHERE d.project_id = ? ORDER BY d.id"""):
        layer = "raw data" if d["kind"] == "raw" else "cleaned data"
        label = _("{layer} v{version}: {name} ({rows} rows)").format(
            layer=_(layer), version=d["version"], name=d["name"], rows=format_count(d["rows"])
        )
        node(f"dataset:{d['id']}", layer, label, d["sha256"])
        if d["recipe_id"]:
            edges.append((f"recipe:{d['recipe_id']}", f"dataset:{d['id']}"))
        elif d["parent_id"]:
            edges.append((f"dataset:{d['parent_id']}", f"dataset:{d['id']}"))
    for r in q("""SELECT r.*, a.sha256 FROM recipes r LEFT JOIN artifacts a ON a.id = r.artifact_id
                  WHERE r.project_id = ? ORDER BY r.id"""):
        steps = len(json.loads(r["recipe_json"]).get("steps", []))
        label = ngettext("recipe v{version} ({n} step)", "recipe v{version} ({n} steps)", steps)
        node(f"recipe:{r['id']}", "recipe", label.format(version=r["version"], n=steps), r["sha256"])
        edges.append((f"dataset:{r['source_dataset_id']}", f"recipe:{r['id']}"))
    # A retraining set is made from a cleaned version plus production rows: link it to both (the loop).
    for d in q("SELECT * FROM datasets WHERE project_id = ? AND recipe_id IS NOT NULL AND parent_id IS NOT NULL"):
        parent = ws.query_one("SELECT kind FROM datasets WHERE id = ?", (d["parent_id"],))
        if parent and parent["kind"] == "cleaned":
            edges.append((f"dataset:{d['parent_id']}", f"dataset:{d['id']}"))
        report_id = json.loads(d["read_info_json"] or "{}").get("monitoring_report_id")
        if report_id:
            edges.append((f"monitoring:{report_id}", f"dataset:{d['id']}"))
    for f in q("SELECT * FROM feature_sets WHERE project_id = ? ORDER BY id"):
        node(f"features:{f['id']}", "feature set", _("feature set v{version}").format(version=f["version"]))
        edges.append((f"dataset:{f['dataset_id']}", f"features:{f['id']}"))
    for e in q("SELECT * FROM experiments WHERE project_id = ? ORDER BY id"):
        label = _("experiment {id} ({validation})").format(id=e["id"], validation=e["validation"])
        node(f"experiment:{e['id']}", "experiment", label)
        edges.append((f"features:{e['feature_set_id']}", f"experiment:{e['id']}"))
    for v in q("""SELECT v.*, r.experiment_id, r.model_name AS family FROM model_versions v
                  JOIN runs r ON r.id = v.run_id WHERE v.project_id = ? ORDER BY v.id"""):
        label = f"{v['model_name']} v{v['version']} ({_(str(v['family']))})"
        node(f"version:{v['id']}", "model version", label, v["sha256"])
        edges.append((f"experiment:{v['experiment_id']}", f"version:{v['id']}"))
    for d in q("SELECT * FROM deployments WHERE project_id = ? ORDER BY id"):
        strategy = json.loads(d["routing_json"]).get("strategy", "single")
        node(
            f"deployment:{d['id']}",
            "deployment",
            _("deployment {id} ({strategy})").format(id=d["id"], strategy=strategy),
        )
        edges.append((f"version:{d['champion_version_id']}", f"deployment:{d['id']}"))
        if d["challenger_version_id"]:
            edges.append((f"version:{d['challenger_version_id']}", f"deployment:{d['id']}"))
    for m in q("SELECT * FROM monitoring_reports WHERE project_id = ? ORDER BY id"):
        scenario = json.loads(m["traffic_json"]).get("scenario", "")
        label = _("monitoring report {id} ({scenario})").format(id=m["id"], scenario=scenario)
        node(f"monitoring:{m['id']}", "monitoring", label)
        edges.append((f"deployment:{m['deployment_id']}", f"monitoring:{m['id']}"))
    nodes_df = pd.DataFrame(nodes, columns=["node", "layer", "label", "short", "sha256"])
    known = set(nodes_df["node"])
    edges_df = pd.DataFrame(
        [e for e in dict.fromkeys(edges) if e[0] in known and e[1] in known], columns=["source", "target"]
    )
    return nodes_df, edges_df


def get_ancestors(edges: pd.DataFrame, node: str) -> list[str]:
    """Every node the given one was made from, nearest first."""
    parents = edges.groupby("target")["source"].apply(list).to_dict()
    seen: list[str] = []
    frontier = [node]
    while frontier:
        current = frontier.pop(0)
        for parent in parents.get(current, []):
            if parent not in seen:
                seen.append(parent)
                frontier.append(parent)
    return seen

"""Lineage as data: what every artifact of a project was made from, as a graph and a picture."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.style import plot_texts
from core.workspace.database import Workspace

# Left to right, the order things are made in.
LAYERS = ("raw data", "recipe", "cleaned data", "feature set", "experiment", "model version", "deployment",
          "monitoring")


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
        node(f"dataset:{d['id']}", layer, f"{layer} v{d['version']}: {d['name']} ({d['rows']:,} rows)", d["sha256"])
        if d["recipe_id"]:
            edges.append((f"recipe:{d['recipe_id']}", f"dataset:{d['id']}"))
        elif d["parent_id"]:
            edges.append((f"dataset:{d['parent_id']}", f"dataset:{d['id']}"))
    for r in q("""SELECT r.*, a.sha256 FROM recipes r LEFT JOIN artifacts a ON a.id = r.artifact_id
                  WHERE r.project_id = ? ORDER BY r.id"""):
        steps = len(json.loads(r["recipe_json"]).get("steps", []))
        node(f"recipe:{r['id']}", "recipe", f"recipe v{r['version']} ({steps} steps)", r["sha256"])
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
        node(f"features:{f['id']}", "feature set", f"feature set v{f['version']}")
        edges.append((f"dataset:{f['dataset_id']}", f"features:{f['id']}"))
    for e in q("SELECT * FROM experiments WHERE project_id = ? ORDER BY id"):
        node(f"experiment:{e['id']}", "experiment", f"experiment {e['id']} ({e['validation']})")
        edges.append((f"features:{e['feature_set_id']}", f"experiment:{e['id']}"))
    for v in q("""SELECT v.*, r.experiment_id, r.model_name AS family FROM model_versions v
                  JOIN runs r ON r.id = v.run_id WHERE v.project_id = ? ORDER BY v.id"""):
        node(f"version:{v['id']}", "model version", f"{v['model_name']} v{v['version']} ({v['family']})",
             v["sha256"])
        edges.append((f"experiment:{v['experiment_id']}", f"version:{v['id']}"))
    for d in q("SELECT * FROM deployments WHERE project_id = ? ORDER BY id"):
        strategy = json.loads(d["routing_json"]).get("strategy", "single")
        node(f"deployment:{d['id']}", "deployment", f"deployment {d['id']} ({strategy})")
        edges.append((f"version:{d['champion_version_id']}", f"deployment:{d['id']}"))
        if d["challenger_version_id"]:
            edges.append((f"version:{d['challenger_version_id']}", f"deployment:{d['id']}"))
    for m in q("SELECT * FROM monitoring_reports WHERE project_id = ? ORDER BY id"):
        scenario = json.loads(m["traffic_json"]).get("scenario", "")
        node(f"monitoring:{m['id']}", "monitoring", f"monitoring report {m['id']} ({scenario})")
        edges.append((f"deployment:{m['deployment_id']}", f"monitoring:{m['id']}"))
    nodes_df = pd.DataFrame(nodes, columns=["node", "layer", "label", "short", "sha256"])
    known = set(nodes_df["node"])
    edges_df = pd.DataFrame([e for e in dict.fromkeys(edges) if e[0] in known and e[1] in known],
                            columns=["source", "target"])
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


def plot_lineage(nodes: pd.DataFrame, edges: pd.DataFrame) -> go.Figure:
    """Layers left to right (raw data … monitoring), an arrow-less line from each input to its output."""
    layers = [layer for layer in LAYERS if layer in set(nodes["layer"])]
    positions = {}
    for x, layer in enumerate(layers):
        members = nodes[nodes["layer"] == layer]["node"].tolist()
        for i, key in enumerate(members):
            positions[key] = (x, -(i - (len(members) - 1) / 2))
    fig = go.Figure()
    for source, target in edges.itertuples(index=False):
        (x0, y0), (x1, y1) = positions[source], positions[target]
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", line={"color": "#9ca3af", "width": 1.5},
                                 hoverinfo="skip", showlegend=False))
    xy = [positions[k] for k in nodes["node"]]
    fig.add_trace(go.Scatter(
        x=[p[0] for p in xy], y=[p[1] for p in xy], mode="markers+text", text=plot_texts(nodes["short"]),
        textposition="bottom center", textfont={"size": 10}, marker={"size": 14, "color": "#2563eb"},
        customdata=np.stack([plot_texts(nodes["label"]), plot_texts(nodes["sha256"])], axis=-1) if len(nodes) else None,
        hovertemplate="%{customdata[0]}<br>sha256 %{customdata[1]}<extra></extra>",
        showlegend=False,
    ))
    fig.update_layout(template="plotly_white", title="Lineage: what was made from what (left to right)",
                      height=min(450, 160 + 60 * int(nodes["layer"].value_counts().max() if len(nodes) else 1)),
                      margin={"l": 10, "r": 10, "t": 50, "b": 30})
    fig.update_xaxes(tickvals=list(range(len(layers))), ticktext=layers, showgrid=False, zeroline=False,
                     range=[-0.6, max(len(layers) - 0.4, 0.6)])
    fig.update_yaxes(visible=False)
    return fig


def caption_lineage(nodes: pd.DataFrame, edges: pd.DataFrame) -> str:
    if nodes.empty:
        return "Nothing has been made in this project yet."
    latest = nodes[nodes["layer"] == "model version"]
    if latest.empty:
        return (f"{len(nodes)} things made so far, each linked to what it was made from; every data file and "
                "recipe carries the SHA-256 of its artifact.")
    model = latest.iloc[-1]
    chain = [nodes.set_index("node").loc[n, "label"] for n in get_ancestors(edges, model["node"])]
    data = [c for c in chain if c.startswith(("cleaned data", "raw data"))]
    return (f"{model['label']} was trained on {data[0] if data else 'its data'}"
            + (f", which goes back to {data[-1]}" if len(data) > 1 else "")
            + "; every step in between is recorded, so the model can be rebuilt and audited.")

"""The lesson's pipeline diagram as data: nodes (each stage, the page it lives on, its status in a
project), labelled edges with both loops (the gate's "no" back to training through tuning; "retraining
needed?" back to the data), and the four concerns that cut across every stage with the page each lives
on. Pure: ``core.guide.svg`` draws it, the Home page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from core.i18n import N_

# Node key -> (label, page script, stage status key or None, grid position (row, column)).
# The grid snakes: left to right, then right to left, then down to deployment and monitoring.
NODES: dict[str, tuple[str, str, str | None, tuple[int, int]]] = {
    "business_problem": (N_("Business problem"), "pages/2_Problem.py", "problem", (0, 0)),
    "data_collection": (N_("Data collection"), "pages/1_Data.py", "data", (0, 1)),
    "preparation": (N_("Data preparation"), "pages/1_Data.py", "data", (0, 2)),
    "feature_store": (N_("Feature store"), "pages/3_Features.py", "features", (0, 3)),
    "model_selection": (N_("Model selection"), "pages/4_Train.py", "train", (1, 3)),
    "training": (N_("Training"), "pages/4_Train.py", "train", (1, 2)),
    "evaluation": (N_("Evaluation"), "pages/4_Train.py", "train", (1, 1)),
    "gate": (N_("Good enough?"), "pages/4_Train.py", "train", (1, 0)),
    "tuning": (N_("Tuning"), "pages/4_Train.py", None, (2, 2)),
    "deployment": (N_("Deployment"), "pages/7_Deploy.py", "deploy", (2, 0)),
    "registry": (N_("Model registry"), "pages/6_Registry.py", "registry", (2, 1)),
    "monitoring": (N_("Monitoring"), "pages/8_Monitor.py", "monitor", (3, 0)),
    "retrain_needed": (N_("Retraining needed?"), "pages/8_Monitor.py", "monitor", (3, 1)),
}

# (from, to, label or "", route): "straight" between neighbours, or a named detour the renderer draws.
EDGES: tuple[tuple[str, str, str, str], ...] = (
    ("business_problem", "data_collection", "", "straight"),
    ("data_collection", "preparation", "", "straight"),
    ("preparation", "feature_store", "", "straight"),
    ("feature_store", "model_selection", "", "straight"),
    ("model_selection", "training", "", "straight"),
    ("training", "evaluation", "", "straight"),
    ("evaluation", "gate", "", "straight"),
    ("gate", "deployment", N_("yes"), "straight"),
    ("gate", "tuning", N_("no"), "under"),
    ("tuning", "training", "", "straight"),
    ("deployment", "registry", N_("store"), "upper"),
    ("registry", "deployment", N_("fetch"), "lower"),
    ("deployment", "monitoring", "", "straight"),
    ("monitoring", "retrain_needed", "", "upper"),
    ("retrain_needed", "monitoring", N_("no"), "lower"),
    ("retrain_needed", "data_collection", N_("yes"), "around"),
)

# The four cross-cutting concerns: (key, label, where it lives in the app, page script).
CONCERNS: tuple[tuple[str, str, str, str], ...] = (
    ("security", N_("Security"), N_("endpoint keys on Deploy"), "pages/7_Deploy.py"),
    ("compliance", N_("Compliance"), N_("audit log and model card on Registry"), "pages/6_Registry.py"),
    ("lifecycle", N_("Lifecycle"), N_("versions and aliases on Registry"), "pages/6_Registry.py"),
    ("explainability", N_("Explainability"), N_("drivers of each prediction on Explain"), "pages/5_Explain.py"),
)

STATUS_WORDS = {
    "done": N_("done"),
    "next": N_("next"),
    "todo": N_("to do"),
    "loop": N_("when needed"),
}
# Pipeline order of the stage status keys: the first one not done is "next".
STAGE_ORDER = ("data", "problem", "features", "train", "explain", "registry", "deploy", "monitor")


@dataclass(frozen=True)
class Node:
    key: str
    label: str  # N_ text, translated by the renderer
    page: str
    url: str
    status: str  # done | next | todo | loop
    row: int
    col: int


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    route: str


@dataclass(frozen=True)
class Concern:
    key: str
    label: str
    where: str
    page: str
    url: str


@dataclass(frozen=True)
class Diagram:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    concerns: tuple[Concern, ...]

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)


def page_url(script: str, params: dict[str, str]) -> str:
    """The address Streamlit gives a page script ("pages/4_Train.py" -> "Train"), relative to the app,
    with ``params`` as its query string."""
    name = script.rsplit("/", 1)[-1].removesuffix(".py")
    path = "./" if script == "app.py" else "./" + name.split("_", 1)[-1]
    return path + ("?" + urlencode(params) if params else "")


def _status(stage: str | None, status: dict[str, bool]) -> str:
    if stage is None:
        return "loop"
    if status.get(stage):
        return "done"
    first_open = next((s for s in STAGE_ORDER if not status.get(s)), None)
    # The problem is defined after the data is prepared: it is "next" once the data is in.
    return "next" if stage == first_open else "todo"


def build_diagram(status: dict[str, bool], params: dict[str, str] | None = None) -> Diagram:
    """The lesson's diagram for a project whose stages are ``status`` (``projects.get_stage_status``;
    ``{}`` with no project); every link carries ``params`` (the project, the language)."""
    params = params or {}
    nodes = tuple(
        Node(key, label, page, page_url(page, params), _status(stage, status), row, col)
        for key, (label, page, stage, (row, col)) in NODES.items()
    )
    edges = tuple(Edge(*edge) for edge in EDGES)
    concerns = tuple(Concern(key, label, where, page, page_url(page, params)) for key, label, where, page in CONCERNS)
    return Diagram(nodes, edges, concerns)

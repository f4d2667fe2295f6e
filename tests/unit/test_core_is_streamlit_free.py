import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def test_core_never_imports_streamlit():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(path.name)
    assert offenders == []


def test_pages_hold_no_heavy_imports_of_shap():
    """SHAP costs seconds to import; only core.explain's explainers may import it, lazily."""
    root = CORE.parent
    for path in [*root.glob("pages/*.py"), root / "app.py"]:
        assert "import shap" not in path.read_text(), path.name

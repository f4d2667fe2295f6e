"""Finds text a person would read that bypasses translation, in the files that draw the UI.

A string literal is UI text when it holds a word and is not code-like (a state key, a path, an icon
name, a format spec). UI text must sit inside ``_()``, ``N_()``, ``ngettext()`` or ``pgettext()``.
Literals that are code by their place are skipped: docstrings, ``key=``/``icon=``/``type=``-style
arguments, subscripts (``state["x"]``), comparisons, and lines marked ``# i18n: skip`` (the product
name, CSS). An f-string with words in it is UI text that cannot be translated as it is.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

TRANSLATORS = {"_", "N_", "ngettext", "pgettext"}
# Keyword arguments whose values are code, not text.
CODE_KEYWORDS = {
    "key",
    "icon",
    "page_icon",
    "type",
    "layout",
    "format",
    "query_params",
    "mime",
    "file_name",
    "kind",
    "anchor",
    "unsafe_allow_html",
    "width",
    "height",
    "use_container_width",
    "on_click",
    "on_change",
    "args",
    "kwargs",
    "value_format",
    "step",
    "min_value",
    "max_value",
    "color",
    "selection_mode",
    "on_select",
    "hovertemplate",
    "texttemplate",
    "tickformat",
    "hoverformat",
    "barmode",
    "template",
    "line_dash",
    "dash",
    "symbol",
    "mode",
    "orientation",
    "xref",
    "yref",
    "xanchor",
    "yanchor",
    "textposition",
    "fill",
    "shape",
    "input_type",
    "label_visibility",
    "gap",
    "vertical_alignment",
    "border",
    "alignment",
    "sort_keys",
    "encoding",
    "errors",
    "url_path",
    "default_format",
    "display_text",
}
CODE_LIKE = re.compile(
    r"^(:material/[a-z_]+:|[\s\W\d_]*|[a-z0-9_./:#%=\-\[\]{}<>|*^$,+?()\\]+|%[-+ 0#.,\d]*[a-zA-Z%])$"
)
SKIP_MARK = "i18n: skip"


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def is_ui_text(text: str) -> bool:
    stripped = re.sub(r"<[^<>]*>", "", text).strip()  # markup alone is not text
    if not re.search(r"[A-Za-zÀ-ÿ]{2,}", stripped):
        return False
    if re.fullmatch(r"[\w./-]+\.(py|csv|json|parquet|xlsx|html|pdf|yaml|yml|png|svg)", stripped):
        return False  # a file name or page path
    if "(?" in stripped or "\\" in stripped:
        return False  # a regular expression
    if CODE_LIKE.match(stripped):
        return False
    if stripped.startswith(("http://", "https://", "<style", "SELECT ", "select ")):
        return False
    return not ("{" in stripped and ";" in stripped and ":" in stripped)  # CSS


def scan_source(source: str, path: str) -> list[Finding]:
    tree = ast.parse(source)
    lines = source.splitlines()
    skipped: set[int] = set()
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skipped.add(id(body[0].value))
        if isinstance(node, ast.Call) and _called_name(node) in TRANSLATORS:
            for arg in node.args:
                for inner in ast.walk(arg):
                    skipped.add(id(inner))
        if isinstance(node, ast.keyword) and node.arg in CODE_KEYWORDS:
            for inner in ast.walk(node.value):
                skipped.add(id(inner))
        if isinstance(node, ast.Subscript):
            for inner in ast.walk(node.slice):
                skipped.add(id(inner))
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                for inner in ast.walk(operand):
                    if isinstance(inner, ast.Constant):
                        skipped.add(id(inner))
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if id(node) in skipped or _marked(node, lines):
            continue
        if isinstance(node, ast.JoinedStr):
            words = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if is_ui_text(words):
                findings.append(Finding(path, node.lineno, f"f-string: {words}"))
            for value in node.values:
                skipped.add(id(value))
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and is_ui_text(node.value):
            if isinstance(parents.get(id(node)), ast.JoinedStr):
                continue
            findings.append(Finding(path, node.lineno, node.value))
    return sorted(findings, key=lambda f: f.line)


def scan_file(path: Path, root: Path) -> list[Finding]:
    return scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(root)))


def ui_files(root: Path) -> list[Path]:
    return [root / "app.py", *sorted((root / "pages").glob("*.py")), *sorted((root / "ui").glob("*.py"))]


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _marked(node: ast.AST, lines: list[str]) -> bool:
    start = getattr(node, "lineno", None)
    end = getattr(node, "end_lineno", start)
    if start is None:
        return False
    return any(SKIP_MARK in lines[i - 1] for i in range(start, (end or start) + 1) if 0 < i <= len(lines))

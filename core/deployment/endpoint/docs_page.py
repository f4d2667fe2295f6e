"""The endpoint's /docs page: its OpenAPI schema drawn as plain HTML, with no script and nothing fetched
from the internet. Swagger UI (FastAPI's default /docs) loads from a CDN and is blank on a classroom
network without one; it stays at /swagger for those who have it.

Column names and categories come from the user's data: every text is escaped before it goes in.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

MAX_CATEGORIES_SHOWN = 30

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2937; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
code, pre { font-family: ui-monospace, monospace; background: #f3f4f6; border-radius: 4px; }
pre { padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #e5e7eb; padding: 0.35rem 0.5rem;
text-align: left; vertical-align: top; } th { background: #f9fafb; }
.method { font-weight: 700; color: #1d4ed8; }
"""


def render_docs_html(spec: dict[str, Any]) -> str:
    """The whole page for one OpenAPI ``spec`` (as FastAPI's ``app.openapi()`` returns it)."""
    info = spec.get("info", {})
    schemas = spec.get("components", {}).get("schemas", {})
    parts = [
        f"<h1>{escape(str(info.get('title', 'Endpoint')))}</h1>",
        f"<p>{escape(str(info.get('description', '')))}</p>",
        '<p>The same schema as JSON: <a href="/openapi.json">/openapi.json</a>.</p>',
        *_key_words(spec),
        "<h2>Routes</h2>",
        _routes_table(spec.get("paths", {})),
    ]
    row = schemas.get("Row")
    if row:
        parts += [
            "<h2>The columns of a row</h2>",
            "<p>Each row sent to <code>POST /predict</code> is an object of these columns. A value of the wrong "
            "type gets a 422 naming it; a value of the right type outside what training saw is answered under "
            "the deployment's validation policy.</p>",
            _columns_table(row),
        ]
    example = (schemas.get("PredictRequest", {}).get("examples") or [None])[0]
    if example is not None:
        parts += [
            "<h2>An example request</h2>",
            f"<pre>{escape(json.dumps(example, indent=2, ensure_ascii=False))}</pre>",
        ]
    body = "\n".join(parts)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{escape(str(info.get('title', 'Endpoint')))}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _key_words(spec: dict[str, Any]) -> list[str]:
    """How to send the API key, when the schema says routes need one."""
    if not spec.get("components", {}).get("securitySchemes"):
        return []
    return [
        "<h2>API key</h2>",
        "<p><code>POST /predict</code> and <code>POST /feedback</code> need an API key of the project, sent as "
        "the header <code>Authorization: Bearer &lt;key&gt;</code> (create one on the Deploy page or with "
        "<code>mlops-studio keys create --project P</code>). No key, or a revoked one: 401. More requests than "
        "the key's rate limit: 429, with <code>Retry-After</code> saying when to try again.</p>",
    ]


def _routes_table(paths: dict[str, Any]) -> str:
    rows = []
    for path, methods in paths.items():
        for method, operation in methods.items():
            text = operation.get("description") or operation.get("summary") or ""
            rows.append(
                f'<tr><td><span class="method">{escape(method.upper())}</span> <code>{escape(path)}</code></td>'
                f"<td>{escape(str(text))}</td></tr>"
            )
    return "<table><tr><th>Route</th><th>What it does</th></tr>" + "".join(rows) + "</table>"


def _columns_table(row: dict[str, Any]) -> str:
    required = set(row.get("required", []))
    lines = []
    for name, prop in row.get("properties", {}).items():
        lines.append(
            f"<tr><td><code>{escape(str(name))}</code></td><td>{escape(_type_words(prop))}</td>"
            f"<td>{'yes' if name in required else 'no'}</td><td>{escape(_learned_words(prop))}</td>"
            f"<td>{escape(str(prop.get('description', '')))}</td></tr>"
        )
    header = "<tr><th>Column</th><th>Type</th><th>Required</th><th>Learned from training</th><th>About it</th></tr>"
    return "<table>" + header + "".join(lines) + "</table>"


def _type_words(prop: dict[str, Any]) -> str:
    kinds = [option.get("format") or option.get("type") for option in prop.get("anyOf", [prop])]
    return " or ".join(str(k) for k in kinds if k)


def _learned_words(prop: dict[str, Any]) -> str:
    if "x-learned-range" in prop:
        low, high = prop["x-learned-range"]
        return f"from {_bound(low)} to {_bound(high)}"
    categories = prop.get("x-categories")
    if categories:
        shown = ", ".join(str(c) for c in categories[:MAX_CATEGORIES_SHOWN])
        more = len(categories) - MAX_CATEGORIES_SHOWN
        return f"one of {shown}" + (f" and {more} more" if more > 0 else "")
    return ""


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)

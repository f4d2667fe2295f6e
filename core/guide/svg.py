"""Draw the lesson's diagram (``core.guide.diagram``) as one self-contained SVG: no script, no external
request, every text escaped. Sized for a projector: 30-unit labels in a 1216-unit viewBox that never
shrinks below 660 px wide (so it fits the main area of a 1024 px screen with the sidebar open, in
presenter mode too; labels stay at 16 px or more, status words and arrow labels at 14 px; a narrower
screen scrolls sideways), words are never broken in the middle, and each node and concern is a link to
its page. The gap between the first two columns is wide enough for the arrow labels written in it
("store", "fetch", "no"); the others hold only an arrow.
"""

from __future__ import annotations

from html import escape

from core.guide.diagram import STATUS_WORDS, Diagram, Edge, Node
from core.i18n import _

MARGIN, TOP = 16, 70
NODE_W, NODE_H = 250, 116
GAPS_X = (120, 32, 32)  # between columns 0-1 (arrow labels), 1-2, 2-3
GAP_Y = 70
COLUMNS, ROWS = 4, 4
WIDTH = 2 * MARGIN + COLUMNS * NODE_W + sum(GAPS_X)
BAND_TOP = TOP + ROWS * (NODE_H + GAP_Y) + 10
CHIP_H = 190
HEIGHT = BAND_TOP + CHIP_H + 70
MIN_WIDTH_PX = 660  # 1024 px with the sidebar open leaves ~670 px; 30-unit labels are 16.3 px at 660 px of 1216
# Outside presenter mode the main area is narrower (~564 px at 1024 px): smallest text 12 px there.
MIN_WIDTH_NORMAL_PX = 560
LABEL_PX, STATUS_PX, EDGE_PX = 30, 26, 26  # at the smallest size: 16.3, 14.1, 14.1 px
LABEL_SIZES = (LABEL_PX, 28, 26)  # a longer word steps down: "Monitoramento" at 26 units, 14.1 px
BOLD_EM, REGULAR_EM = 0.7, 0.58  # a character's width in ems (bold labels, plain text), generous
INK = "#1b1f24"
STYLES = {
    "done": ("#d3f0de", "#1e7b45", "none"),
    "next": ("#d6e6ff", "#1f5fbf", "none"),
    "todo": ("#f1f3f5", "#6c757d", "none"),
    "loop": ("#ffffff", "#6c757d", "8 6"),
}


def _x(col: int) -> int:
    return MARGIN + col * NODE_W + sum(GAPS_X[:col])


def _y(row: int) -> int:
    return TOP + row * (NODE_H + GAP_Y)


def wrap_words(text: str, max_chars: int, max_lines: int = 2) -> list[str] | None:
    """``text`` in lines of at most ``max_chars`` characters, broken only between words; None when it
    needs more than ``max_lines`` lines or a word is longer than a line."""
    lines: list[str] = []
    for word in text.split():
        if len(word) > max_chars:
            return None
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines if len(lines) <= max_lines else None


def fit_label(
    text: str,
    width: int = NODE_W - 10,
    sizes: tuple[int, ...] = LABEL_SIZES,
    max_lines: int = 2,
    em: float = BOLD_EM,
) -> tuple[int, list[str]]:
    """The largest font size (and its lines) at which ``text`` fits ``width`` in ``max_lines`` lines,
    whole words (a character taken as ``em`` of the size wide)."""
    for size in sizes:
        lines = wrap_words(text, int(width / (size * em)), max_lines)
        if lines is not None:
            return size, lines
    size = sizes[-1]
    return size, wrap_words(text, int(width / (size * em)), max_lines=max_lines + 1) or [text]


def _text(x: float, y: float, size: int, content: str, weight: str = "normal", anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" '
        f'fill="{INK}">{escape(content)}</text>'
    )


def _node(node: Node) -> str:
    fill, stroke, dash = STYLES[node.status]
    x, y = _x(node.col), _y(node.row)
    label = _(node.label)
    status = _(STATUS_WORDS[node.status])
    size, lines = fit_label(label)
    mark = "✓ " if node.status == "done" else ("→ " if node.status == "next" else "")
    block = len(lines) * size * 1.15 + STATUS_PX * 1.3
    first = y + (NODE_H - block) / 2 + size * 0.9
    texts = [_text(x + NODE_W / 2, first + i * size * 1.15, size, line, "bold") for i, line in enumerate(lines)]
    texts.append(_text(x + NODE_W / 2, first + len(lines) * size * 1.15 + STATUS_PX * 0.2, STATUS_PX, mark + status))
    width = 4 if node.status == "next" else 2
    return (
        f'<a href="{escape(node.url)}" target="_self" class="node" data-node="{escape(node.key)}" '
        f'data-status="{node.status}"><title>{escape(label)}: {escape(status)}</title>'
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="14" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{width}" stroke-dasharray="{dash}"/>' + "".join(texts) + "</a>"
    )


def _edge_points(edge: Edge, source: Node, target: Node) -> list[tuple[float, float]]:
    sx, sy, tx, ty = _x(source.col), _y(source.row), _x(target.col), _y(target.row)
    mid_s, mid_t = sy + NODE_H / 2, ty + NODE_H / 2
    if edge.route in ("upper", "lower"):
        dy = -20 if edge.route == "upper" else 20
        if source.col < target.col:
            return [(sx + NODE_W, mid_s + dy), (tx, mid_t + dy)]
        return [(sx, mid_s + dy), (tx + NODE_W, mid_t + dy)]
    if edge.route == "under":  # down into the gap below the row, across, down into the target
        gap = sy + NODE_H + GAP_Y / 2
        return [
            (sx + NODE_W * 0.8, sy + NODE_H),
            (sx + NODE_W * 0.8, gap),
            (tx + NODE_W * 0.3, gap),
            (tx + NODE_W * 0.3, ty),
        ]
    if edge.route == "around":  # the long way back: below everything, up the right side, over the top
        bottom = TOP + ROWS * (NODE_H + GAP_Y) - GAP_Y / 2
        right = WIDTH - MARGIN / 2 + 2
        over = TOP - 35
        return [
            (sx + NODE_W / 2, sy + NODE_H),
            (sx + NODE_W / 2, bottom),
            (right, bottom),
            (right, over),
            (tx + NODE_W / 2, over),
            (tx + NODE_W / 2, ty),
        ]
    if source.row == target.row:
        if source.col < target.col:
            return [(sx + NODE_W, mid_s), (tx, mid_t)]
        return [(sx, mid_s), (tx + NODE_W, mid_t)]
    x = sx + NODE_W * (0.7 if source.key == "tuning" else 0.5)
    if source.row < target.row:
        return [(x, sy + NODE_H), (x, ty)]
    return [(x, sy), (x, ty + NODE_H)]


def _edge(edge: Edge, diagram: Diagram) -> str:
    source, target = diagram.node(edge.source), diagram.node(edge.target)
    points = _edge_points(edge, source, target)
    path = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
    loop = edge.route in ("under", "around") or edge.source == "tuning"
    colour = "#b54708" if loop else "#495057"
    out = (
        f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="3" '
        f'marker-end="url(#{"arrow-loop" if loop else "arrow"})" data-edge="{escape(edge.source)}-{escape(edge.target)}"/>'
    )
    if edge.label:
        (x0, y0), (x1, y1) = points[0], points[1]
        if edge.route == "upper":
            lx, ly, anchor = (x0 + x1) / 2, y0 - 8, "middle"
        elif edge.route == "lower":
            lx, ly, anchor = (x0 + x1) / 2, y0 + EDGE_PX + 4, "middle"
        elif x0 == x1:  # a vertical start: the label beside it
            lx, ly, anchor = x0 + 8, (y0 + y1) / 2 + EDGE_PX / 3, "start"
        else:
            lx, ly, anchor = (x0 + x1) / 2, y0 - 8, "middle"
        out += (
            f'<text x="{lx:.0f}" y="{ly:.0f}" font-size="{EDGE_PX}" font-weight="bold" text-anchor="{anchor}" '
            f'fill="{colour}">{escape(_(edge.label))}</text>'
        )
    return out


def _concerns(diagram: Diagram) -> str:
    parts = [
        f'<rect x="{MARGIN / 2}" y="{BAND_TOP}" width="{WIDTH - MARGIN}" height="{HEIGHT - BAND_TOP - 10}" rx="14" '
        'fill="#fff8e6" stroke="#b08800" stroke-width="2"/>',
        _text(MARGIN, BAND_TOP + 30, STATUS_PX, _("Across every stage:"), "bold", "start"),
    ]
    chip_w = (WIDTH - 2 * MARGIN - 3 * 16) / 4
    for i, concern in enumerate(diagram.concerns):
        x = MARGIN + i * (chip_w + 16)
        y = BAND_TOP + 45
        label_size, label = fit_label(_(concern.label), int(chip_w - 12), LABEL_SIZES, max_lines=1)
        size, lines = fit_label(_(concern.where), int(chip_w - 12), (STATUS_PX,), max_lines=4, em=REGULAR_EM)
        where = "".join(_text(x + chip_w / 2, y + 72 + j * size * 1.15, size, line) for j, line in enumerate(lines[:4]))
        parts.append(
            f'<a href="{escape(concern.url)}" target="_self" class="concern" data-concern="{escape(concern.key)}">'
            f"<title>{escape(_(concern.label))}: {escape(_(concern.where))}</title>"
            f'<rect x="{x:.0f}" y="{y}" width="{chip_w:.0f}" height="{CHIP_H}" rx="10" fill="#ffffff" stroke="#b08800"/>'
            + _text(x + chip_w / 2, y + 36, label_size, " ".join(label), "bold")
            + where
            + "</a>"
        )
    return "".join(parts)


def render_svg(diagram: Diagram, title: str = "", min_width_px: int = MIN_WIDTH_PX) -> str:
    """The diagram as an ``<svg>`` element (well-formed XML; ``title`` is its accessible name)."""
    name = escape(title or _("The MLOps pipeline of the lesson"))
    markers = "".join(
        f'<marker id="{mid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for mid, colour in (("arrow", "#495057"), ("arrow-loop", "#b54708"))
    )
    body = "".join(_edge(edge, diagram) for edge in diagram.edges)
    body += "".join(_node(node) for node in diagram.nodes)
    body += _concerns(diagram)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{name}" style="min-width:{min_width_px}px;max-width:{WIDTH}px;display:block;'
        f'font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif">'
        f"<title>{name}</title><defs>{markers}</defs>{body}</svg>"
    )


def _hotspot(
    url: str, key: str, kind: str, label: str, x: float, y: float, w: float, h: float, status: str = ""
) -> str:
    style = (
        f"position:absolute;left:{100 * x / WIDTH:.3f}%;top:{100 * y / HEIGHT:.3f}%;"
        f"width:{100 * w / WIDTH:.3f}%;height:{100 * h / HEIGHT:.3f}%;border-radius:12px"
    )
    return (
        f'<a href="{escape(url)}" target="_self" class="{kind}" data-{kind}="{escape(key)}" '
        f'title="{escape(label)}" aria-label="{escape(label)}" style="{style}"'
        + (f' data-status="{escape(status)}"' if status else "")
        + "></a>"
    )


def render_html(diagram: Diagram, title: str = "", min_width_px: int = MIN_WIDTH_PX) -> str:
    """The diagram for a page that sanitises inline SVG away (Streamlit's st.html keeps HTML only): the
    SVG as an image, with a transparent link over each node and concern (positions in percent, so they
    follow the image when it scales). It scrolls sideways only below ``min_width_px``."""
    import base64

    svg = render_svg(diagram, title, min_width_px)
    name = escape(title or _("The MLOps pipeline of the lesson"))
    links = []
    for node in diagram.nodes:
        label = f"{_(node.label)}: {_(STATUS_WORDS[node.status])}"
        links.append(
            _hotspot(node.url, node.key, "node", label, _x(node.col), _y(node.row), NODE_W, NODE_H, node.status)
        )
    chip_w = (WIDTH - 2 * MARGIN - 3 * 16) / 4
    for i, concern in enumerate(diagram.concerns):
        label = f"{_(concern.label)}: {_(concern.where)}"
        x = MARGIN + i * (chip_w + 16)
        links.append(_hotspot(concern.url, concern.key, "concern", label, x, BAND_TOP + 45, chip_w, CHIP_H))
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        '<div class="pipeline-diagram" style="overflow-x:auto">'
        f'<div style="position:relative;min-width:{min_width_px}px;max-width:{WIDTH}px">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{name}" style="width:100%;display:block"/>'
        + "".join(links)
        + "</div></div>"
    )

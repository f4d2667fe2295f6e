"""Reading an HTTP request's body: at most ``MAX_BODY_BYTES`` (the declared Content-Length and the
bytes actually streamed are both checked), strict JSON, and every problem as a 422 in FastAPI's
shape (``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``).

Python's ``json`` reads the non-standard literals ``NaN``, ``Infinity`` and ``-Infinity``; here
they become a ``NonFinite`` marker, so the schema can name the field that holds one instead of
the model scoring a NaN as a missing value.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from core.deployment.request import shown_value

MAX_BODY_BYTES = 1_000_000
MAX_ROWS = 10_000
_SHOWN_INPUT_CHARS = 40


class NonFinite:
    """A ``NaN``/``Infinity``/``-Infinity`` literal of the body (not JSON; rejected where it is)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def problem(loc: tuple[Any, ...], msg: str, kind: str, value: Any = None) -> dict[str, Any]:
    """One entry of a 422's ``detail`` list; ``value`` (what was sent) is shown short and only when it
    is one value (a whole row is not echoed back)."""
    entry: dict[str, Any] = {"type": kind, "loc": list(loc), "msg": msg}
    shown = shown_input(value)
    if shown is not None:
        entry["input"] = shown
    return entry


def shown_input(value: Any) -> Any:
    if isinstance(value, NonFinite):
        return value.text
    if isinstance(value, bool) or isinstance(value, int) and abs(value) < 10**15:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, (str, int)):
        return shown_value(value)
    return None


def rejected(*problems: dict[str, Any]) -> RequestValidationError:
    return RequestValidationError(list(problems))


def _too_large(size: int) -> RequestValidationError:
    return rejected(
        problem(
            ("body",),
            f"The body is {size:,} bytes or more; the limit is {MAX_BODY_BYTES:,} bytes. "
            f"Split it into smaller requests: both limits hold, at most {MAX_BODY_BYTES:,} bytes and "
            f"{MAX_ROWS:,} rows each (wide rows reach the byte limit first).",
            "too_large",
        )
    )


async def read_body(request: Request) -> bytes:
    """The body's bytes, refused (422) past ``MAX_BODY_BYTES``: first by its declared length, then
    while it streams (a client may send no length, or lie about it)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise rejected(
                problem(("header", "content-length"), "Content-Length must be a number of bytes.", "int_parsing")
            )
        if int(declared) > MAX_BODY_BYTES:
            raise _too_large(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large(size)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The body as JSON values, NaN/Infinity literals as ``NonFinite``; 422 when it is not JSON."""
    if not body.strip():
        raise rejected(problem(("body",), "The body is empty; send a JSON object.", "missing"))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise rejected(
            problem(("body", exc.start), "The body is not UTF-8 text; send JSON encoded as UTF-8.", "json_invalid")
        ) from None
    try:
        return json.loads(text, parse_constant=NonFinite)
    except json.JSONDecodeError as exc:
        raise rejected(
            problem(
                ("body", exc.pos),
                f"JSON decode error: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
                "json_invalid",
            )
        ) from None
    except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, nesting too deep
        raise rejected(problem(("body",), f"The body cannot be read as JSON: {exc}.", "json_invalid")) from None

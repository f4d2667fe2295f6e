"""Data validation: rules learned from the cleaned reference data, checked on new rows.

`derive_rules` learns one `ColumnRule` per column of the reference (the cleaned training data):
its kind, a range for numbers and dates (widened a little, since production values slightly
outside the training range are normal), the allowed categories, and how much may be missing.
The rules are small and JSON round-trippable (`to_dict`/`from_dict`), so they are saved with the
dataset version. `check_rows` checks a table against them (the rows sent to the endpoint);
`check_rows_by_window` does the same per traffic window (monitoring). Every check is vectorised:
values are compared as whole columns, and text is parsed once per distinct value.

Bounds of datetime columns are stored as ISO-8601 strings in UTC without an offset
("2023-01-31T00:00:00"), readable in the saved JSON; numbers as plain floats.

The package: `rules` (what a column must look like, learned by `derive_rules`) < `messages` (a
`Violation` and the sentences that describe violations) < `checks` (`check_rows`,
`check_rows_by_window`). This face hands on the public API, so
`from core.data.validation import check_rows` works as before.
"""

from core.data.validation.checks import (
    BY_WINDOW_COLUMNS,
    MAX_EXAMPLE_CHARS,
    MAX_EXAMPLES,
    ROW_RULES,
    WINDOW_COLUMN,
    RowFinding,
    check_each_row,
    check_rows,
    check_rows_by_window,
)
from core.data.validation.messages import (
    VIOLATION_COLUMNS,
    VIOLATION_RULES,
    Violation,
    caption_violations,
    caption_violations_by_window,
    get_violations_df,
)
from core.data.validation.rules import (
    KINDS,
    ColumnRule,
    ValidationRules,
    derive_rules,
)

__all__ = [
    "KINDS",
    "ColumnRule",
    "ValidationRules",
    "derive_rules",
    "WINDOW_COLUMN",
    "BY_WINDOW_COLUMNS",
    "MAX_EXAMPLES",
    "MAX_EXAMPLE_CHARS",
    "check_rows",
    "check_rows_by_window",
    "check_each_row",
    "RowFinding",
    "ROW_RULES",
    "VIOLATION_RULES",
    "VIOLATION_COLUMNS",
    "Violation",
    "get_violations_df",
    "caption_violations",
    "caption_violations_by_window",
]

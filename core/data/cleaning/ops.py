"""The registry of cleaning ops: op name -> `OpSpec` (apply, validate, describe, removes_rows),
gathered from the families in the order the UI and error messages list them.

To add an op: write its apply/validate/describe in the family module it belongs to, add an entry
to that module's `*_OPS` dict, and it is known to recipes, validation and the step list.
"""

from __future__ import annotations

from core.data.cleaning.ops_columns import COLUMN_OPS
from core.data.cleaning.ops_common import OpSpec
from core.data.cleaning.ops_missing import MISSING_OPS
from core.data.cleaning.ops_privacy import PRIVACY_OPS
from core.data.cleaning.ops_rows import ROW_OPS
from core.data.cleaning.ops_text import TEXT_OPS

OP_SPECS: dict[str, OpSpec] = {**COLUMN_OPS, **TEXT_OPS, **MISSING_OPS, **ROW_OPS, **PRIVACY_OPS}
OPS = tuple(OP_SPECS)
ROW_REMOVING_OPS = frozenset(op for op, spec in OP_SPECS.items() if spec.removes_rows)

"""Which inputs a counterfactual keeps as they are unless the user says otherwise: what a person cannot
(or must not be asked to) change. The project's sensitive column, columns whose names say age, birth,
gender, sex, race, ethnicity, nationality or marital status (English and Portuguese), and dates. The
Explain panel and the letter start from this list; the user can still tick any of them back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import pandas as pd

# Whole words of a column's name (split at non-letters and camelCase), accents removed, casefolded.
PROTECTED_WORDS = frozenset(
    {
        "age", "ages", "aged", "senior", "birth", "birthday", "birthdate", "born", "dob", "gender", "sex",
        "race", "ethnicity", "ethnic", "nationality", "citizenship", "marital", "married",
        "idade", "nascimento", "sexo", "genero", "raca", "etnia", "nacionalidade",
    }
)  # fmt: skip
# Words that say it inside a longer name too ("dateofbirth", "customergender").
PROTECTED_PARTS = ("birth", "gender", "genero", "ethnic", "nationalit", "nacionalidade", "marital", "nascimento")
PROTECTED_PAIRS = (("estado", "civil"),)  # "estado civil", "estado_civil"
DATE_WORDS = frozenset({"date", "dates", "datetime", "timestamp"})  # a date by name ("signup_date")


def _words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", str(name))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = re.sub(r"([a-z])([A-Z])", r"\1 \2", plain)
    return [w for w in re.split(r"[^0-9a-zA-Z]+|(?<=[a-zA-Z])(?=[0-9])", plain.casefold()) if w]


def is_protected_name(name: str) -> bool:
    """True when a column's name says a personal characteristic or a date: 'age', 'Gender', 'dateOfBirth',
    'estado_civil', 'Raça', 'signup_date'; not 'usage', 'page_views' or 'cidade'."""
    words = _words(name)
    joined = "".join(words)
    if any(w in PROTECTED_WORDS or w in DATE_WORDS for w in words):
        return True
    if any(part in joined for part in PROTECTED_PARTS):
        return True
    return any(all(p in words for p in pair) for pair in PROTECTED_PAIRS)


def default_immutable(
    features: Sequence[str], sensitive_columns: Iterable[str | None] = (), data: pd.DataFrame | None = None
) -> list[str]:
    """The ``features`` a counterfactual keeps by default, in their order: the sensitive column(s) of the
    problem, the names ``is_protected_name`` flags, and the columns of ``data`` holding dates."""
    sensitive = {str(c) for c in sensitive_columns if c}
    dates = set()
    if data is not None:
        dates = {str(c) for c in data.columns if pd.api.types.is_datetime64_any_dtype(data[c])}
    return [f for f in features if str(f) in sensitive or str(f) in dates or is_protected_name(str(f))]

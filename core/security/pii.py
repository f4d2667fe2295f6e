"""Personal data in a table: which columns hold emails, phone numbers, card numbers, Brazilian CPF/CNPJ,
person names, addresses or dates of birth, decided per column from a sample of its values and its name.

Each kind has a value test (a pattern plus a well-kept validator where one exists: ``python-stdnum``
for the CPF/CNPJ check digits and the Luhn sum of card numbers, ``phonenumbers`` for phone numbers)
and name hints in English and Portuguese ("email", "telefone", "cpf", "nome", "endereço", "data de
nascimento"…). A column is personal when enough of its sampled values pass its kind's test: most of
them (`VALUE_SHARE`) on the values alone, fewer (`HINTED_SHARE`) when its name says so too. Names,
addresses and dates of birth have no check digit: a name is recognised by a common first name, an
address by a street word, a date of birth only with a name hint (order dates and timestamps look the
same). Look-alikes stay unflagged: order ids and amounts fail the check digits, ZIP/CEP codes are no
valid phone number, product names start with no first name.

    found = detect_personal_data(df)   # [PersonalColumn(column, kind, confidence, reason), ...]
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import phonenumbers
from stdnum import luhn
from stdnum.br import cnpj, cpf

from core.formatting import format_count, format_percent
from core.i18n import N_, _

SAMPLE_VALUES = 200  # distinct non-missing values looked at per column
VALUE_SHARE = 0.6  # share of sampled values passing a kind's test for the values alone to decide
HINTED_SHARE = 0.3  # the same when the column's name names the kind too

KINDS = ("email", "cpf", "cnpj", "card", "phone", "birth_date", "address", "name")
KIND_LABELS = {
    "email": N_("email address"),
    "cpf": N_("CPF"),
    "cnpj": N_("CNPJ"),
    "card": N_("card number"),
    "phone": N_("phone number"),
    "birth_date": N_("date of birth"),
    "address": N_("address"),
    "name": N_("person's name"),
}
IDENTIFYING = frozenset({"email", "cpf", "cnpj", "card", "phone", "name"})  # point at one person on their own

# Column-name hints, matched on the name's words without accents, in lower case.
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e mail", "mail", "correio eletronico"),
    "cpf": ("cpf",),
    "cnpj": ("cnpj",),
    "card": ("card", "cartao", "credit card", "cc number", "pan"),
    "phone": ("phone", "telefone", "tel", "celular", "fone", "mobile", "whatsapp", "contato"),
    "birth_date": ("birth", "dob", "nascimento", "data nasc", "dt nasc", "aniversario", "birthday"),
    "address": ("address", "endereco", "logradouro", "rua", "street", "morada", "residencia"),
    "name": ("name", "nome", "full name", "nome completo", "cliente", "customer", "titular", "paciente"),
}
_NOT_A_PERSON = ("product", "produto", "item", "company", "empresa", "file", "arquivo", "city", "cidade", "user name")

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE_CHARS = re.compile(r"\+?[\d\s().-]{8,24}")
_CARD_CHARS = re.compile(r"\d{4}([ -]?\d{2,7}){2,4}")
_STREET = re.compile(
    r"^(rua|r\.|av\.?|avenida|travessa|tv\.|alameda|al\.|rodovia|praca|estrada|largo|beco)\s+\S"
    r"|^\d+[a-z]?\s+(\w+\s+){1,4}(street|st\.?|avenue|ave\.?|road|rd\.?|lane|ln\.?|boulevard|blvd\.?|drive|dr\.?|way|court|ct\.?)\b",
)
_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'.-]*")
_PARTICLES = frozenset({"da", "de", "do", "das", "dos", "e", "van", "von", "del", "di", "jr", "jr.", "neto", "filho"})

# Common first names (Brazilian and English): a value whose first word is one of them reads as a name.
FIRST_NAMES = frozenset(
    """ana maria joao jose antonio francisco carlos paulo pedro lucas luiz luis marcos gabriel rafael daniel
    marcelo bruno eduardo felipe rodrigo manoel mateus matheus andre fernando fabio leonardo gustavo guilherme
    leandro tiago thiago ricardo diego sergio roberto vinicius alexandre julio renato jorge samuel adriana
    juliana marcia fernanda patricia aline sandra camila amanda bruna jessica leticia julia luciana vanessa
    mariana gabriela vera beatriz larissa claudia raquel rita carla simone helena sofia sophia alice laura
    isabela isabella manuela valentina heloisa livia giovanna lorena cecilia clara luana bianca priscila
    renata tatiana elaine debora joana francisca antonia rosa lucia sonia regina teresa tereza marta
    james john robert michael william david richard joseph thomas charles christopher mark paul steven
    andrew kenneth george joshua kevin brian edward ronald timothy jason jeffrey ryan jacob gary nicholas eric
    stephen jonathan larry justin scott brandon frank benjamin gregory raymond samuel patrick alexander jack
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa margaret betty sandra
    ashley dorothy kimberly emily donna michelle carol amanda melissa deborah stephanie rebecca laura sharon
    cynthia kathleen amy shirley angela helen anna brenda pamela nicole emma samantha katherine christine
    rachel carolyn janet catherine olivia sophie lucy grace chloe hannah emilia noah liam oliver ethan""".split()
)


@dataclass(frozen=True)
class PersonalColumn:
    """A column found to hold personal data: its kind (a code of `KINDS`), how sure (0-1) and why."""

    column: str
    kind: str
    confidence: float
    reason: str
    share: float  # of the sampled values that passed the kind's test

    def to_dict(self) -> dict:
        return {
            "column": self.column,
            "kind": self.kind,
            "confidence": self.confidence,
            "reason": self.reason,
            "share": self.share,
        }


def kind_label(kind: str) -> str:
    """The kind in the reader's language ("email address", "CPF"…)."""
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def plain_words(text: str) -> str:
    """'Data de Nascimento' -> 'data de nascimento', 'e_mail' -> 'e mail': no accents, lower case, words."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return " ".join(re.split(r"[^a-z0-9]+", text.lower())).strip()


def name_hint(column: str) -> str | None:
    """The kind a column's name names, if any (the first kind of `KINDS` whose hint is a whole word run)."""
    words = f" {plain_words(column)} "
    for kind in KINDS:
        if any(f" {hint} " in words for hint in NAME_HINTS[kind]):
            if kind == "name" and any(f" {w} " in words for w in _NOT_A_PERSON):
                continue
            return kind
    return None


# -- the value tests: each takes one value as text and says whether it is of the kind -----------------------


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def is_cpf(value: str) -> bool:
    digits = re.sub(r"[.\-\s]", "", value)
    return len(digits) == 11 and digits.isdigit() and cpf.is_valid(digits)


def is_cnpj(value: str) -> bool:
    digits = re.sub(r"[./\-\s]", "", value)
    return len(digits) == 14 and digits.isdigit() and cnpj.is_valid(digits)


def is_card(value: str) -> bool:
    if not _CARD_CHARS.fullmatch(value):
        return False
    digits = re.sub(r"[ -]", "", value)
    return 13 <= len(digits) <= 19 and digits[0] in "3456" and luhn.is_valid(digits)


def is_phone(value: str) -> bool:
    """A valid number in Brazil (the default region) or, written with +, anywhere."""
    if not _PHONE_CHARS.fullmatch(value):
        return False
    digits = re.sub(r"\D", "", value)
    if not 8 <= len(digits) <= 15:
        return False
    try:
        number = phonenumbers.parse(value, "BR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def is_person_name(value: str) -> bool:
    words = value.split()
    if not 2 <= len(words) <= 6 or any(ch.isdigit() for ch in value):
        return False
    if not all(_NAME_WORD.fullmatch(w) for w in words):
        return False
    first = plain_words(words[0])
    return first in FIRST_NAMES and all(w[0].isupper() or w.lower() in _PARTICLES for w in words)


def is_address(value: str) -> bool:
    return len(value) <= 200 and _STREET.search(plain_words_keep_dots(value)) is not None


def plain_words_keep_dots(text: str) -> str:
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower().strip()


def is_birth_date(value: str) -> bool:
    """A date (no time of day) between 1900 and ten years ago, day first or year first (or month first)."""
    text = re.sub(r" 00:00(:00)?$", "", value.strip())
    for pattern in _DATE_FORMATS:
        try:
            day = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return 1900 <= day.year <= date.today().year - 10
    return False


_DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


TESTS = {
    "email": is_email,
    "cpf": is_cpf,
    "cnpj": is_cnpj,
    "card": is_card,
    "phone": is_phone,
    "birth_date": is_birth_date,
    "address": is_address,
    "name": is_person_name,
}
_VALUES_ALONE = frozenset({"email", "cpf", "cnpj", "card", "phone", "address", "name"})  # not dates of birth
_DIGITS_ONLY_NEED_HINT = frozenset({"phone", "card"})  # bare digit strings are ids unless the name says so


def sample_values(s: pd.Series, n: int = SAMPLE_VALUES) -> list[str]:
    """Up to n distinct non-missing values as text (dates as yyyy-mm-dd), the same for the same column."""
    values = s.dropna()
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if (values.dt.normalize() != values).any():
            return []  # a time of day: a timestamp, not a date of birth
        texts = values.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return []  # amounts and flags
    elif pd.api.types.is_integer_dtype(values.dtype):
        texts = values.astype("int64").astype(str)
    else:
        texts = values.astype(str).str.strip()
    unique = pd.unique(texts[texts != ""].to_numpy(dtype=object))
    if len(unique) > n:
        unique = np.random.default_rng(0).choice(unique, n, replace=False)
    return [str(v) for v in unique]


def detect_column(column: str, s: pd.Series) -> PersonalColumn | None:
    """Whether one column holds personal data, of which kind, how sure and why (None: nothing found)."""
    return detect_values(str(column), sample_values(s))


def json_texts(cells: list) -> list[str]:
    """A JSON request's cells as the detector reads them (as `sample_values` does a table's): text and
    whole numbers as text; other numbers, booleans, lists and objects are no personal value."""
    texts = []
    for v in cells:
        if isinstance(v, str):
            v = v.strip()
            if v:
                texts.append(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            texts.append(str(v))
    return list(dict.fromkeys(texts))[:SAMPLE_VALUES]


def detect_values(column: str, values: list[str]) -> PersonalColumn | None:
    """`detect_column` on a column's distinct values as text (the sample)."""
    if not values:
        return None
    hint = name_hint(column)
    bare_digits = all(v.isdigit() for v in values)
    best: tuple[float, int, str] | None = None
    for rank, kind in enumerate(KINDS):
        if kind not in _VALUES_ALONE and hint != kind:
            continue
        if kind in _DIGITS_ONLY_NEED_HINT and bare_digits and hint != kind:
            continue
        test = TESTS[kind]
        share = sum(1 for v in values if test(v)) / len(values)
        needed = HINTED_SHARE if hint == kind else VALUE_SHARE
        if share >= needed and (best is None or share > best[0]):
            best = (share, rank, kind)
    if best is None:
        return None
    share, _rank, kind = best
    hinted = hint == kind
    confidence = round(min(1.0, share * (1.0 if hinted else 0.85) + (0.15 if hinted else 0.0)), 2)
    n = len(values)
    if hinted:
        reason = _("{share} of the {n} sampled values pass the {kind} check, and the column's name says so.")
    else:
        reason = _("{share} of the {n} sampled values pass the {kind} check.")
    return PersonalColumn(
        str(column),
        kind,
        confidence,
        reason.format(share=format_percent(share), n=format_count(n), kind=kind_label(kind)),
        round(share, 4),
    )


def detect_personal_data(df: pd.DataFrame) -> list[PersonalColumn]:
    """The columns of a table that hold personal data, in the table's order."""
    found = []
    for column in df.columns:
        hit = detect_column(str(column), df[column])
        if hit is not None:
            found.append(hit)
    return found


def personal_columns(df: pd.DataFrame) -> list[str]:
    """Just the names of the personal columns (what the prediction log and the gate need)."""
    return [hit.column for hit in detect_personal_data(df)]


def personal_features(df: pd.DataFrame, target: str, dropped: tuple[str, ...] | list[str] = ()) -> list[dict[str, str]]:
    """The columns a model learns from (all but the target and the dropped ones) that hold personal
    data, as {column, kind} (what the gate's personal-data check takes)."""
    inputs = [c for c in df.columns if c != target and c not in set(dropped)]
    return [{"column": hit.column, "kind": hit.kind} for hit in detect_personal_data(df[inputs])]

"""Column names match in Unicode normal form C on both sides (a name sent decomposed is the same
name), and the 422s that read as pydantic's or as the wrong problem say what is wrong in words."""

import json
import unicodedata
from types import SimpleNamespace

import pytest
from fastapi.exceptions import RequestValidationError

from core.data.validation import ColumnRule, ValidationRules
from core.deployment.endpoint.schema import InputSchema

COMPOSED = unicodedata.normalize("NFC", "café_€")  # "é" as one code point
DECOMPOSED = unicodedata.normalize("NFD", "café_€")  # "e" and a combining accent


def _schema(name: str) -> InputSchema:
    model = SimpleNamespace(
        label="m v1",
        required_columns=[name, "plan"],
        input_kinds={name: "numeric", "plan": "categorical"},
        rules=ValidationRules((ColumnRule(name, "numeric", min=0.0, max=10.0),)),
        recipe=None,
        date_formats={},
    )
    return InputSchema([model])


def _detail(schema: InputSchema, body) -> list[dict]:
    with pytest.raises(RequestValidationError) as caught:
        schema.read(body)
    return caught.value.errors()


@pytest.mark.parametrize(("model_name", "sent"), [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)])
def test_a_name_sent_in_the_other_normal_form_is_the_same_column(model_name, sent):
    assert model_name != sent and unicodedata.normalize("NFC", model_name) == unicodedata.normalize("NFC", sent)
    read = _schema(model_name).read({"rows": [{sent: 3.5, "plan": "pro"}, {model_name: 1, "plan": "basic"}]})
    assert read.rows == [{model_name: 3.5, "plan": "pro"}, {model_name: 1, "plan": "basic"}]
    assert read.ignored_columns == []


def test_a_row_sending_both_forms_keeps_the_exact_name():
    read = _schema(COMPOSED).read({"rows": [{COMPOSED: 2, DECOMPOSED: 9, "plan": "pro"}]})
    assert read.rows == [{COMPOSED: 2, "plan": "pro"}] and read.ignored_columns == [DECOMPOSED]


def test_a_number_of_401_digits_is_too_large_not_infinite():
    detail = _detail(_schema("amount"), {"rows": [{"amount": int("9" * 401), "plan": "pro"}]})
    assert [(e["type"], tuple(e["loc"])) for e in detail] == [("too_large", ("body", "rows", 0, "amount"))]
    assert detail[0]["msg"].startswith("amount is too large a number to compute with (a whole number of 401 digits)")
    assert "finite" not in detail[0]["msg"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"rows": {}}, "rows must be a list of objects of column: value"),
        ({"rows": None}, "got null instead"),
        ({"rows": "a,b"}, "got text ('a,b') instead"),
        ({"row": [{}]}, "got nothing instead"),
        ({"rows": [{"amount": 1, "plan": "pro"}], "request_ids": "r1"}, "request_ids must be a list of texts"),
        ({"rows": [{"amount": 1, "plan": "pro"}], "user_ids": [["u7"]]}, "Each of user_ids must be a text"),
        ({"rows": [{"amount": 1, "plan": "pro"}], "request_ids": [""]}, "Each of request_ids must be a text of 1 to"),
    ],
)
def test_a_body_of_the_wrong_shape_is_named_in_words_not_pydantic(body, words):
    detail = _detail(_schema("amount"), body)
    messages = json.dumps([e["msg"] for e in detail])
    assert words in messages and "Input should be" not in messages, messages


def _region_schema(categories: tuple[str, ...]) -> InputSchema:
    model = SimpleNamespace(
        label="m v1",
        required_columns=["regiao"],
        input_kinds={"regiao": "categorical"},
        rules=ValidationRules((ColumnRule("regiao", "categorical", allowed=categories),)),
        recipe=None,
        date_formats={},
    )
    return InputSchema([model])


@pytest.mark.parametrize("trained_form", ["NFC", "NFD"])
def test_a_category_sent_in_the_other_normal_form_is_the_learned_one(trained_form):
    learned = unicodedata.normalize(trained_form, "Açores")
    other = unicodedata.normalize("NFD" if trained_form == "NFC" else "NFC", "Açores")
    assert learned != other
    read = _region_schema((learned, "Lisboa")).read({"rows": [{"regiao": other}, {"regiao": "Lisboa"}]})
    assert read.rows == [{"regiao": learned}, {"regiao": "Lisboa"}]

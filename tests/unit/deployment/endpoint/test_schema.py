"""The input schema's type checks, column by column, without a trained model."""

from types import SimpleNamespace

import pytest
from fastapi.exceptions import RequestValidationError

from core.data.cleaning.recipe import CleaningRecipe, CleaningStep
from core.data.validation import ColumnRule, ValidationRules
from core.deployment.endpoint.schema import InputSchema, input_columns


def _model(recipe=None):
    rules = ValidationRules(
        (
            ColumnRule("amount", "numeric", min=0.0, max=10.0),
            ColumnRule("price", "numeric"),
            ColumnRule("member", "boolean", allowed=("False", "True")),
            ColumnRule("plan", "categorical", allowed=("basic", "pro")),
        )
    )
    return SimpleNamespace(
        label="m v1",
        required_columns=["amount", "price", "member", "plan"],
        input_kinds={"amount": "numeric", "price": "numeric", "member": "numeric", "plan": "categorical"},
        rules=rules,
        recipe=recipe,
        date_formats={},
    )


def _errors(schema, row) -> list[tuple]:
    try:
        schema.read({"rows": [row]})
    except RequestValidationError as exc:
        return [(tuple(e["loc"]), e["type"]) for e in exc.errors()]
    return []


GOOD = {"amount": 1, "price": 2.5, "member": 1, "plan": "basic"}


def test_values_of_the_right_type_pass_even_when_they_break_a_rule():
    schema = InputSchema([_model()])
    for row in (
        GOOD,
        dict(GOOD, amount=1e6),
        dict(GOOD, plan="enterprise"),
        dict(GOOD, plan=7),
        dict(GOOD, amount=None),
    ):
        assert _errors(schema, row) == [], row
    assert _errors(schema, dict(GOOD, amount=" 3.5 ")) == []  # numeric text as the served model reads it
    assert _errors(schema, dict(GOOD, amount="")) == []  # a blank is a missing value


def test_true_false_is_a_number_only_where_training_held_flags():
    schema = InputSchema([_model()])
    assert _errors(schema, dict(GOOD, member=True)) == []
    assert _errors(schema, dict(GOOD, amount=True)) == [(("body", "rows", 0, "amount"), "not_a_number")]


@pytest.mark.parametrize("text", ["1.234,5", "12 %", "n/a"])
def test_text_goes_to_a_column_the_recipe_reads_as_numbers_only(text):
    recipe = CleaningRecipe((CleaningStep("to_numeric", {"columns": ["price"], "decimal": ","}),))
    plain, reading = InputSchema([_model()]), InputSchema([_model(recipe)])
    assert _errors(plain, dict(GOOD, price=text)) == [(("body", "rows", 0, "price"), "not_a_number")]
    assert _errors(reading, dict(GOOD, price=text)) == []
    assert _errors(reading, dict(GOOD, amount=text)) == [(("body", "rows", 0, "amount"), "not_a_number")]
    impute = CleaningRecipe((CleaningStep("impute", {"column": "price", "strategy": "median"}),))
    assert [c.takes_text for c in input_columns([_model(impute)])] == [False] * 4


def _dated(recipe=None):
    model = _model(recipe)
    model.required_columns = [*model.required_columns, "signup"]
    model.input_kinds = {**model.input_kinds, "signup": "datetime"}
    return model


@pytest.mark.parametrize("value", ["2024-01-31", " 2024-01-31T10:00:00Z ", "2024/01/31", "20240131", "", None])
def test_a_date_the_served_model_reads_passes(value):
    assert _errors(InputSchema([_dated()]), dict(GOOD, signup=value)) == []


@pytest.mark.parametrize("value", ["tomorrow", "2024-02-30", "31/01/2024", 20240131, 1.5, True, [2024]])
def test_a_date_that_cannot_be_read_is_a_422_naming_the_field(value):
    kind = "not_a_single_value" if isinstance(value, list) else "not_a_date"
    assert _errors(InputSchema([_dated()]), dict(GOOD, signup=value)) == [(("body", "rows", 0, "signup"), kind)]


def test_date_text_goes_as_sent_to_a_column_the_recipe_reads_as_dates():
    recipe = CleaningRecipe((CleaningStep("to_datetime", {"columns": ["signup"], "format": "%d/%m/%Y"}),))
    assert _errors(InputSchema([_dated(recipe)]), dict(GOOD, signup="31/01/2024")) == []
    assert _errors(InputSchema([_dated(recipe)]), dict(GOOD, signup=5)) == [
        (("body", "rows", 0, "signup"), "not_a_date")
    ]


def test_the_row_schema_documents_kind_range_and_categories():
    row = InputSchema([_model()]).row_model.model_json_schema()
    assert row["properties"]["amount"]["x-learned-range"] == [0.0, 10.0]
    assert row["properties"]["plan"]["x-categories"] == ["basic", "pro"]
    assert {"type": "boolean"} in row["properties"]["member"]["anyOf"]
    assert row["required"] == ["amount", "price", "member", "plan"]

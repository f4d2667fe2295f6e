"""Feature definitions: the safe expression set, validation naming the field, the written form."""

from __future__ import annotations

import pytest

from core.featurestore.definitions import (
    Expression,
    FeatureDefinition,
    definition_from_dict,
    parse_expression,
    validate_definition,
)
from core.workspace.errors import ConfigError


def make(**changes) -> FeatureDefinition:
    base = dict(
        name="spend_7d",
        entity="customer_id",
        timestamp="timestamp",
        expression=Expression("column", ("amount",)),
        aggregate="sum",
        window="7d",
        owner="risk team",
        description="What the customer spent in the 7 days before the moment.",
        source_dataset_id=1,
    )
    return FeatureDefinition(**{**base, **changes})


def test_a_good_definition_is_tidied_and_round_trips() -> None:
    definition = validate_definition(make(entity=" customer_id ", expression=Expression("ratio", ["amount", "limit"])))
    assert definition.entity == "customer_id"
    assert definition.expression == Expression("ratio", ("amount", "limit"))
    assert definition_from_dict(definition.to_dict()) == definition
    assert definition.columns() == ["customer_id", "timestamp", "amount", "limit"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "Spend 7d"}, "'name'"),
        ({"entity": ""}, "'entity'"),
        ({"timestamp": "customer_id"}, "'timestamp'"),
        ({"aggregate": "median"}, "'aggregate'"),
        ({"window": "2h"}, "'window'"),
        ({"expression": None}, "'expression'"),
        ({"expression": Expression("eval", ("amount",))}, "'expression.op'"),
        ({"expression": Expression("ratio", ("amount",))}, "'expression.columns'"),
        ({"expression": Expression("clip", ("amount",))}, "'expression.lower'"),
        ({"expression": Expression("clip", ("amount",), lower=5, upper=1)}, "'expression.upper'"),
        ({"expression": Expression("log1p", ("amount",), lower=0)}, "'expression.lower'"),
        ({"expression": Expression("equals", ("kind",))}, "'expression.value'"),
        ({"owner": " "}, "'owner'"),
        ({"description": ""}, "'description'"),
        ({"source_dataset_id": 0}, "'source_dataset_id'"),
    ],
)
def test_each_bad_field_is_named(changes: dict, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_definition(make(**changes))
    assert field in str(info.value) and "feature definition" in str(info.value)


def test_count_needs_no_expression() -> None:
    assert validate_definition(make(aggregate="count", expression=None)).expression is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount", Expression("column", ("amount",))),
        ("log1p(amount)", Expression("log1p", ("amount",))),
        ("ratio( amount , limit )", Expression("ratio", ("amount", "limit"))),
        ("difference(a, b)", Expression("difference", ("a", "b"))),
        ("clip(amount, 0, 500)", Expression("clip", ("amount",), lower=0.0, upper=500.0)),
        ("clip(amount, none, 500)", Expression("clip", ("amount",), upper=500.0)),
        ("equals(kind, 'chargeback')", Expression("equals", ("kind",), value="chargeback")),
        ("equals(code, 3)", Expression("equals", ("code",), value=3.0)),
    ],
)
def test_written_expressions_parse_and_print_back(text: str, expected: Expression) -> None:
    parsed = parse_expression(text)
    assert parsed == expected
    assert parse_expression(parsed.describe()) == parsed


@pytest.mark.parametrize("text", ["__import__('os').system('x')", "amount) + (1", "clip(amount, low, 3)", "ratio(a, b"])
def test_anything_else_is_refused_not_evaluated(text: str) -> None:
    with pytest.raises(ConfigError):
        definition_from_dict({**make().to_dict(), "expression": text})


def test_unknown_fields_and_missing_fields_are_named() -> None:
    with pytest.raises(ConfigError, match="'colour'"):
        definition_from_dict({**make().to_dict(), "colour": "red"})
    data = make().to_dict()
    del data["entity"]
    with pytest.raises(ConfigError, match="'entity'"):
        definition_from_dict(data)
    with pytest.raises(ConfigError):
        definition_from_dict(["not", "a", "dict"])

"""The glossary check reads the English a person reads, not the names of placeholders."""

from core.i18n.catalog import Term


def test_a_placeholder_name_is_not_a_glossary_term():
    threshold = Term("threshold", "limiar", ("limite",), "")
    assert not threshold.applies_to("just under {threshold}")
    assert threshold.applies_to("the decision threshold is {threshold}")
    assert Term("target", "alvo", (), "").applies_to("{name} predicts the target {target}")
    assert not Term("target", "alvo", (), "").applies_to("{name} (predicts {target})")

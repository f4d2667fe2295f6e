"""Home's template gallery in Portuguese (issue 13): the paragraphs' costs follow the language's
currency (R$ in Portuguese, € in English) through core.formatting, and the "R$" reaches the page as
text (escaped for Markdown, where two "$" would start a formula)."""

from core.i18n import use_language
from core.spec.templates import get_template, list_templates


def test_the_paragraphs_costs_follow_the_language():
    churn, fraud = get_template("churn"), get_template("card_fraud")
    assert "(€500)" in churn.describe() and "(€50)" in churn.describe()
    with use_language("pt"):
        said = fraud.describe()
        assert "(R$\u00a0200)" in said and "(R$\u00a05)" in said and "€" not in said
        assert "(R\\$\u00a0500)" in churn.describe(escape=lambda t: t.replace("$", "\\$"))
    for template in list_templates():
        assert "€" not in template.paragraph, template.code  # amounts are placeholders


def test_the_gallery_shows_reais_in_portuguese(fresh):
    make, _ws = fresh
    at = make()
    at.query_params["lang"] = "pt"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bodies = "\n".join(m.value for m in at.markdown)
    assert "Nova" in bodies or "modelo" in bodies  # the page is in Portuguese
    assert "R\\$\u00a0500" in bodies and "R\\$\u00a0200" in bodies
    assert "500 €" not in bodies and "€500" not in bodies

"""The offline /docs page: drawn from an OpenAPI spec, with every text from the user's data escaped."""

from core.deployment.endpoint.docs_page import MAX_CATEGORIES_SHOWN, render_docs_html

HOSTILE = '<img src=x onerror="alert(1)">'


def _spec(**row_properties) -> dict:
    return {
        "info": {"title": f"MLOps Studio endpoint: {HOSTILE}", "description": "Scores rows."},
        "paths": {"/predict": {"post": {"description": "Score rows."}}},
        "components": {
            "schemas": {
                "Row": {"properties": row_properties, "required": list(row_properties)[:1]},
                "PredictRequest": {"examples": [{"rows": [{HOSTILE: 1}]}]},
            }
        },
    }


def test_user_text_is_escaped_everywhere():
    page = render_docs_html(
        _spec(**{HOSTILE: {"anyOf": [{"type": "string"}], "x-categories": [HOSTILE], "description": HOSTILE}})
    )
    assert "<img" not in page and "&lt;img src=x" in page


def test_columns_say_type_requirement_and_what_training_taught():
    many = [f"c{i}" for i in range(MAX_CATEGORIES_SHOWN + 5)]
    page = render_docs_html(
        _spec(
            age={"anyOf": [{"type": "number"}, {"type": "null"}], "x-learned-range": [18, 90.5]},
            plan={"anyOf": [{"type": "string"}], "x-categories": many},
            signup={"anyOf": [{"type": "string", "format": "date-time"}]},
        )
    )
    assert "<td><code>age</code></td><td>number or null</td><td>yes</td><td>from 18 to 90.5</td>" in page
    assert "one of c0, c1" in page and "and 5 more" in page and "c34" not in page
    assert "<td><code>signup</code></td><td>date-time</td><td>no</td>" in page

"""The template gallery: starting specs for a new project, each with why it is set up that way.

A template is a YAML pipeline spec beside this module (valid under ``core.spec.PipelineSpec``, checked by
``tests/pages/test_spec_pages.py`` and the spec's own tests) plus its title and one paragraph for
people, as ``N_`` texts translated where shown (``_(template.title)``). Home's gallery
(``ui/templates_panel.py``) draws one card per template; ``core.spec.create_project_from_spec`` makes
the project and ``core.spec.run_spec`` runs it to a monitored deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from core.i18n import N_, _

if TYPE_CHECKING:
    from core.spec import PipelineSpec

TEMPLATE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Template:
    code: str  # stable: widget keys, tests and the YAML file's name
    title: str  # N_ text: show with _()
    paragraph: str  # N_ text, 3-5 sentences: why the spec is set up that way
    needs_data: bool = False  # the spec names no data: the person uploads a table and picks the target
    money: tuple[tuple[str, float], ...] = ()  # the paragraph's {placeholders} that are amounts of money

    def describe(self, escape: Callable[[str], str] = str) -> str:
        """The paragraph in the current language, its amounts in the language's currency (R$ in
        Portuguese, through core.formatting); ``escape`` is applied to each amount (Markdown: "R$")."""
        from core.formatting import format_money

        return _(self.paragraph).format(**{name: escape(format_money(value)) for name, value in self.money})

    @property
    def path(self) -> Path:
        return TEMPLATE_DIR / f"{self.code}.yaml"

    @property
    def text(self) -> str:
        """The spec's YAML as shipped (what a person downloads to start from)."""
        return self.path.read_text(encoding="utf-8")

    @cached_property
    def spec(self) -> PipelineSpec:
        from core.spec import load_spec  # the spec package sits above this one

        return load_spec(self.text)


_TEMPLATES = (
    Template(
        code="churn",
        title=N_("Customer churn: who is about to leave?"),
        paragraph=N_(
            "Telecom customers (the telco churn sample), and the question whether each will cancel. A churner "
            "we miss costs about a year of margin ({miss}) while a retention offer sent to someone who would "
            "have stayed costs a discount ({offer}), so the spec writes both costs down and the decision "
            "threshold is the one whose mistakes cost least, not 0.5. The customers signed up over six years: "
            "the models are checked on the latest sign-ups (a time split), the way they will meet new customers. "
            "Cleaning unifies the misspelled contracts and removes impossible tenures, charges and duplicates; "
            "a model needs a ROC-AUC of 0.75 to pass the gate, then it is deployed and watched for drift."
        ),
        money=(("miss", 500), ("offer", 50)),
    ),
    Template(
        code="card_fraud",
        title=N_("Card fraud: stop the rare bad payment"),
        paragraph=N_(
            "Six months of card payments (the card fraud sample), in time order, of which only 1.5% are fraud. "
            "With so few frauds, accuracy would praise a model that never flags one: the gate asks for a "
            "ROC-AUC of 0.85 and the rare class weighs more in training. The models are checked on the latest "
            "payments (a time split), because fraud changes over time and December brings a new pattern. "
            "A missed fraud costs about the money lost ({fraud}) and a blocked honest payment a call and an "
            "annoyed customer ({blocked}), so the threshold minimises their sum. A new model reaches customers "
            "through a canary: a small share of payments first, rolled back by itself if its guardrails fail."
        ),
        money=(("fraud", 200), ("blocked", 5)),
    ),
    Template(
        code="house_prices",
        title=N_("House prices: what is this house worth?"),
        paragraph=N_(
            "Four years of house sales (the house prices sample): a regression that predicts the price in "
            "euros. The file holds a few price typos with an extra zero and houses of 0 m²; a handful of such "
            "rows would pull every model towards them, so cleaning drops rows with impossible values and "
            "duplicates. Prices rise about 3% a year, so the models are checked on the latest sales (a time "
            "split). The gate asks for an R² of 0.8: the model must explain most of why prices differ."
        ),
    ),
    Template(
        code="blank",
        title=N_("Blank: bring your own data"),
        paragraph=N_(
            "Upload your own table and choose the column to predict; everything else keeps the studio's "
            "defaults. Cleaning applies the safe steps it suggests for your table, the metric and gate follow "
            "from the task, and models are compared with five-fold validation before a direct deployment. "
            "Start here when no other template fits, change any choice on the stage pages, and export the "
            "project's spec afterwards to keep what you chose."
        ),
        needs_data=True,
    ),
)


def list_templates() -> list[Template]:
    """The gallery's templates, in the order Home shows them."""
    return list(_TEMPLATES)


def get_template(code: str) -> Template:
    """The template ``code`` (KeyError when there is none: codes are ours, never typed)."""
    for template in _TEMPLATES:
        if template.code == code:
            return template
    raise KeyError(code)

"""The guided demo: the demo pipeline's steps in order, each with two or three sentences of narration
(what happens, why it matters in MLOps, what to look at on screen) and the page that shows it.

The work of each step is ``core.pipeline.run_demo_step``; this module only says it. Texts are marked
with ``N_`` and translated where shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import pipeline
from core.i18n import N_, _
from core.workspace.database import Workspace
from core.workspace.progress import Progress, no_progress, scaled_progress


@dataclass(frozen=True)
class GuideStep:
    key: str  # the pipeline step it runs (core.pipeline.STEPS)
    page: str  # the script that shows its result
    title: str
    what: str  # what happens
    why: str  # why it matters in MLOps
    look: str  # what to look at on screen

    def texts(self) -> dict[str, str]:
        """The step's narration in the current language."""
        return {
            "title": _(self.title),
            "what": _(self.what),
            "why": _(self.why),
            "look": _(self.look),
        }


STEPS: tuple[GuideStep, ...] = (
    GuideStep(
        "data",
        "pages/1_Data.py",
        N_("Collect the data"),
        N_(
            "The studio saves the raw churn table exactly as it arrived, as version 1, with a fingerprint of its bytes."
        ),
        N_(
            "Every model must be traceable to the data it learned from: a saved, versioned raw table is what "
            "makes a result reproducible instead of something that only “works on my laptop”."
        ),
        N_("Look at how the file was read (delimiter, encoding, column types) and the first rows of the table."),
    ),
    GuideStep(
        "clean",
        "pages/1_Data.py",
        N_("Prepare the data"),
        N_(
            "A cleaning recipe is suggested and applied: duplicates removed, types fixed, gaps filled. The recipe "
            "is saved as a version of its own, next to the cleaned table."
        ),
        N_(
            "Cleaning by hand cannot be repeated; a recipe can, on tomorrow's data and in production. Rules learned "
            "here later check every request the deployed model receives: that is reliability."
        ),
        N_(
            "Look at the cleaning steps and what each one changed, and at the warnings about what was offered but not applied."
        ),
    ),
    GuideStep(
        "problem",
        "pages/2_Problem.py",
        N_("Define the business problem"),
        N_(
            "We say what to predict — which customers will churn — how to judge it, and what each mistake costs: "
            "a lost customer costs far more than a discount offered for nothing."
        ),
        N_(
            "A model is only as useful as the question it answers. Writing the problem down, with the costs of "
            "mistakes, is what later decides whether a model is good enough to ship."
        ),
        N_("Look at the target, the metric chosen to judge the models and the costs of each kind of mistake."),
    ),
    GuideStep(
        "features",
        "pages/3_Features.py",
        N_("Build the feature store"),
        N_("The columns the models will learn from are chosen and their transformations saved as a feature set."),
        N_(
            "Training and serving must compute features the same way, or the model sees different data in production "
            "than in the lab. A feature store keeps one definition for both."
        ),
        N_("Look at which columns are used, which are left out and why (an ID, a column that leaks the answer)."),
    ),
    GuideStep(
        "train",
        "pages/4_Train.py",
        N_("Select, train and evaluate the models"),
        N_(
            "Several model families are trained and compared on the same split, against a baseline that guesses; "
            "the best one then faces the gate: is it good enough?"
        ),
        N_(
            "Comparing on the same data, and against a baseline, is what makes the choice honest. The gate is a "
            "decision written in advance: if the answer is no, we tune and train again instead of shipping."
        ),
        N_("Look at the leaderboard, the best model's scores on unseen customers and the gate's verdict."),
    ),
    GuideStep(
        "explain",
        "pages/5_Explain.py",
        N_("Explain the model"),
        N_("The studio measures which features drive the best model's predictions, overall and for single customers."),
        N_(
            "A model nobody can explain cannot be trusted, audited or corrected. Explanations show when a model leans "
            "on something it should not, such as a proxy for a protected group: that is how bias is caught."
        ),
        N_("Look at the features that matter most and whether they make business sense."),
    ),
    GuideStep(
        "register",
        "pages/6_Registry.py",
        N_("Store it in the model registry"),
        N_("The best model is stored as a new version, with its lineage, its scores and the alias “champion”."),
        N_(
            "A registry treats models like code: every version is kept, who did what is in the audit log, and "
            "going back to an earlier version is one click — reverting a model like reverting code."
        ),
        N_("Look at the version, its champion alias and the lineage back to the data it was trained on."),
    ),
    GuideStep(
        "deploy",
        "pages/7_Deploy.py",
        N_("Deploy the model"),
        N_("The champion is fetched from the registry and starts answering requests at a simulated endpoint."),
        N_(
            "Deployment fetches a registered version, never a file from someone's laptop, so what runs in production "
            "is exactly what was evaluated. The same package answers here and in the command line."
        ),
        N_("Look at which version is live and try a request with an example customer."),
    ),
    GuideStep(
        "monitor",
        "pages/8_Monitor.py",
        N_("Monitor it in production"),
        N_(
            "Simulated customers arrive in weekly windows, and midway their behaviour changes suddenly. The studio "
            "compares each window with the training data and tracks the model's accuracy and latency."
        ),
        N_(
            "A model that was good on launch day decays silently as the world changes. Monitoring for drift and "
            "performance is what tells us, with evidence, that it is time to retrain."
        ),
        N_("Look at the drift signals, the performance over the windows and the verdict: is retraining needed?"),
    ),
    GuideStep(
        "retrain",
        "pages/8_Monitor.py",
        N_("Retrain: back to the data"),
        N_(
            "Retraining was recommended, so the model is trained again on the reference data plus the fresh labelled "
            "rows, checked by the same gate, and registered as a challenger."
        ),
        N_(
            "This closes the loop: the pipeline runs again on new data with the same checks, and a person decides "
            "whether the challenger replaces the champion. Nothing reaches production unchecked."
        ),
        N_(
            "Look at the retraining result: the challenger's scores next to the champion's, and the promotion decision."
        ),
    ),
)


def step_index(value: object) -> int | None:
    """The step a URL names (``?guide=3``, 1-based), or None for anything else (hostile URL text)."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 3:
        return None
    number = int(value)
    return number - 1 if 1 <= number <= len(STEPS) else None


def check_steps_match_pipeline() -> None:
    """The guide walks exactly the demo's pipeline steps, in order (a test calls this)."""
    assert tuple(s.key for s in STEPS) == tuple(s.key for s in pipeline.get_demo_steps())


def run_guide_steps(ws: Workspace, project_id: int, upto: int, *, progress: Progress = no_progress) -> dict[str, Any]:
    """The guide's Next (or a jump ahead): run every step up to ``upto`` (0-based) not yet done in the
    project, in order; the guided demo's job. Returns ``{"project_id", "step", "ran"}`` (the keys run)."""
    todo = [s.key for s in STEPS[: upto + 1] if not pipeline.get_step(s.key).is_done(ws, project_id)]
    ran = []
    for i, key in enumerate(todo):
        outcome = pipeline.run_demo_step(
            ws, project_id, key, progress=scaled_progress(progress, i / len(todo), (i + 1) / len(todo))
        )
        if outcome["ran"]:
            ran.append(key)
    progress(1.0, _("Done"))
    return {"project_id": project_id, "step": upto, "ran": ran}

"""The point-in-time lesson, on the card-fraud sample: the same model trained twice, once on features
joined point-in-time and once on features joined naively (each customer's newest values), and both
judged the way a team would: on a holdout of the earlier months (validation) and on the last months.

The account events (``card_events.csv``) hold what happened around a fraud: sometimes a login from a
new device shortly before it, and afterwards the card blocked, a call, a chargeback. Joined naively,
every transaction of a customer who was ever defrauded carries those after-events, so the model learns
"a blocked card means fraud" and validation, built the same way, agrees with it. In use, a transaction
is scored before its fraud is discovered: the later months are scored with the values known at each
transaction's moment (what serving can know), and that shortcut is gone.

``run_point_in_time_lesson`` returns the four numbers, one customer's timeline (each transaction and
the value each join gave it) and a sentence saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import formatting
from core.featurestore.definitions import Expression, FeatureDefinition
from core.featurestore.joins import naive_join
from core.featurestore.transforms import materialise, values_at
from core.i18n import _
from core.workspace.errors import DataError

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
TRANSACTIONS_FILE, EVENTS_FILE = "card_fraud.csv", "card_events.csv"
LESSON_PROJECT = "Point-in-time lesson"
METRIC = "roc_auc"
LATER_FROM = pd.Timestamp("2024-11-01")  # the last two months; the months before train and validate
VALIDATION_SHARE = 0.3
SEED = 0
TARGET, ENTITY, TIME = "is_fraud", "customer_id", "timestamp"
# The transaction's own columns the model reads beside the four account features: few on purpose, so
# the account features carry the story (with every column the sample's strong planted drivers drown it).
CATEGORICAL = ["merchant_category", "channel"]
NUMERIC = ["amount"]
SHOWN_FEATURE = "card_blocks"  # the timeline's column: the one whose leak is easiest to see
OWNER = "MLOps Studio lesson"


def lesson_definitions(source_dataset_id: int | None = None) -> list[FeatureDefinition]:
    """The lesson's four features of the account events, by customer."""

    def kind_is(kind: str) -> Expression:
        return Expression("equals", ("kind",), value=kind)

    common: dict[str, Any] = dict(entity=ENTITY, timestamp=TIME, owner=OWNER, source_dataset_id=source_dataset_id)
    return [
        FeatureDefinition(
            name="card_blocks",
            expression=kind_is("card_blocked"),
            aggregate="sum",
            description="How many times the customer's card was blocked before the moment.",
            **common,
        ),
        FeatureDefinition(
            name="chargebacks_30d",
            expression=kind_is("chargeback"),
            aggregate="sum",
            window="30d",
            description="Chargebacks (disputed payments) the customer filed in the 30 days before the moment.",
            **common,
        ),
        FeatureDefinition(
            name="new_device_logins_24h",
            expression=kind_is("new_device_login"),
            aggregate="sum",
            window="24h",
            description="Logins from a new device in the 24 hours before the moment.",
            **common,
        ),
        FeatureDefinition(
            name="account_events_7d",
            aggregate="count",
            window="7d",
            description="Account events of any kind (calls, logins, changes) in the 7 days before the moment.",
            **common,
        ),
    ]


@dataclass
class LessonResult:
    """The four scores (``scores[join][split]``, join ``point_in_time`` | ``naive``, split ``validation`` |
    ``later``), the metric's name, one customer's timeline and the sentence saying why."""

    scores: dict[str, dict[str, float]]
    metric: str
    customer: str
    timeline: pd.DataFrame
    sentence: str
    rows: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The CLI's contract: ``{"point_in_time": {"validation", "later"}, "naive": {…}, "metric"}``."""
        return {
            "point_in_time": dict(self.scores["point_in_time"]),
            "naive": dict(self.scores["naive"]),
            "metric": self.metric,
        }


def read_samples(sample_dir: Path = SAMPLE_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The card transactions and the account events, as shipped (our own files: read plainly)."""
    try:
        transactions = pd.read_csv(sample_dir / TRANSACTIONS_FILE)
        events = pd.read_csv(sample_dir / EVENTS_FILE)
    except FileNotFoundError as exc:
        raise DataError(
            _(
                "The lesson's sample file {file} is missing; regenerate the samples with sample_data/generate.py."
            ).format(file=Path(exc.filename or "").name)
        ) from None
    transactions[TIME] = pd.to_datetime(transactions[TIME])
    events[TIME] = pd.to_datetime(events[TIME])
    return transactions, events


def point_in_time_features(
    transactions: pd.DataFrame, events: pd.DataFrame, definitions: list[FeatureDefinition]
) -> pd.DataFrame:
    """Each transaction with each feature's value as of its own moment."""
    out = transactions.copy()
    for definition in definitions:
        out[definition.name] = values_at(definition, events, transactions[ENTITY], transactions[TIME]).to_numpy()
    return out


def naive_features(
    transactions: pd.DataFrame, events: pd.DataFrame, definitions: list[FeatureDefinition]
) -> pd.DataFrame:
    """DEMONSTRATION ONLY: each transaction with its customer's newest values, from any time."""
    out = transactions
    for definition in definitions:
        rows = materialise(definition, events)
        out = naive_join(out, rows, entity=ENTITY, feature_time=TIME, columns=[definition.name])
        if definition.aggregate in ("count", "sum"):  # a customer with no events at all: none counted
            out[definition.name] = out[definition.name].fillna(0.0)
    return out


def _model(feature_names: list[str]):
    """A plain scikit-learn pipeline: categories one-hot, numbers log1p-scaled, logistic regression.
    Seconds to train on a shared machine, deterministic, and it reads a leak as readily as any model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numbers = Pipeline([("log1p", FunctionTransformer(np.log1p)), ("scale", StandardScaler())])
    encode = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numbers", numbers, [*NUMERIC, *feature_names]),
        ]
    )
    model = LogisticRegression(max_iter=2000)
    return Pipeline([("encode", encode), ("model", model)]), [*CATEGORICAL, *NUMERIC, *feature_names]


def _score(model, frame: pd.DataFrame, columns: list[str]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(frame[TARGET], model.predict_proba(frame[columns])[:, 1]))


def _split(transactions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of the training rows, the validation holdout (both from the earlier months, stratified
    by the label) and the later months."""
    from sklearn.model_selection import train_test_split

    earlier = np.flatnonzero(transactions[TIME] < LATER_FROM)
    later = np.flatnonzero(transactions[TIME] >= LATER_FROM)
    train, validation = train_test_split(
        earlier, test_size=VALIDATION_SHARE, random_state=SEED, stratify=transactions[TARGET].to_numpy()[earlier]
    )
    return np.sort(train), np.sort(validation), later


def train_and_score(pit: pd.DataFrame, naive: pd.DataFrame, feature_names: list[str]) -> dict[str, dict[str, float]]:
    """Each model trained and validated on its own join; both judged on the later months with the
    point-in-time values, the only ones known when a transaction is scored."""
    train, validation, later = _split(pit)
    scores = {}
    for join, frame in (("point_in_time", pit), ("naive", naive)):
        model, columns = _model(feature_names)
        model.fit(frame.iloc[train][columns], frame.iloc[train][TARGET])
        scores[join] = {
            "validation": _score(model, frame.iloc[validation], columns),
            "later": _score(model, pit.iloc[later], columns),
        }
    return scores


def pick_customer(pit: pd.DataFrame, naive: pd.DataFrame) -> str:
    """A customer whose timeline shows the leak: defrauded once in the earlier months, with a few
    transactions before the fraud that the naive join already marks (the first such, by id)."""
    earlier = pit[pit[TIME] < LATER_FROM]
    frauds = earlier.groupby(ENTITY)[TARGET].sum()
    counts = earlier.groupby(ENTITY).size()
    leaked = naive[naive[SHOWN_FEATURE] > 0].groupby(ENTITY).size()
    candidates = [c for c in frauds.index if frauds[c] == 1 and 5 <= counts[c] <= 14 and leaked.get(c, 0) > 0]
    return sorted(candidates)[0] if candidates else str(frauds.idxmax())


def customer_timeline(pit: pd.DataFrame, naive: pd.DataFrame, customer: str) -> pd.DataFrame:
    """Each transaction of ``customer``: when, amount, fraud or not, and the value each join gave it."""
    rows = pit[ENTITY] == customer
    return pd.DataFrame(
        {
            "transaction_id": pit.loc[rows, "transaction_id"].to_numpy(),
            "timestamp": pit.loc[rows, TIME].to_numpy(),
            "amount": pit.loc[rows, "amount"].to_numpy(),
            "is_fraud": pit.loc[rows, TARGET].to_numpy(),
            "point_in_time": pit.loc[rows, SHOWN_FEATURE].to_numpy(),
            "naive": naive.loc[rows, SHOWN_FEATURE].to_numpy(),
        }
    )


def explain(scores: dict[str, dict[str, float]], customer: str, timeline: pd.DataFrame) -> str:
    """One plain sentence of why the naive join looks better and does worse."""
    from core.problem.definition import format_metric_value, get_metric_label

    before = timeline[timeline["is_fraud"] == 0]
    first_fraud = timeline.loc[timeline["is_fraud"] == 1, "timestamp"]
    if len(first_fraud):
        before = before[before["timestamp"] < first_fraud.iloc[0]]
    return _(
        "The naive join gave customer {customer}'s transactions the account history known at the very end, "
        "so {n} transactions made before the fraud already carried the card block that came after it; "
        "a model trained that way learns to read the future: it scores {metric} {naive_validation} in validation "
        "(built the same way) but {naive_later} on the later months, where only the past is known, while the "
        "point-in-time model scores {pit_validation} and {pit_later}."
    ).format(
        customer=customer,
        n=formatting.format_count(int((before["naive"] > 0).sum())),
        metric=get_metric_label(METRIC),
        naive_validation=format_metric_value(METRIC, scores["naive"]["validation"]),
        naive_later=format_metric_value(METRIC, scores["naive"]["later"]),
        pit_validation=format_metric_value(METRIC, scores["point_in_time"]["validation"]),
        pit_later=format_metric_value(METRIC, scores["point_in_time"]["later"]),
    )


def run_point_in_time_lesson(ws=None, sample_dir: Path = SAMPLE_DIR) -> LessonResult:
    """Run the lesson. With a workspace, the account events are kept as a dataset of the lesson's
    project and the four definitions are registered in the feature catalog and used by that project
    (again on a second run: nothing new), so the catalog shows them."""
    transactions, events = read_samples(sample_dir)
    definitions = lesson_definitions()
    if ws is not None:
        definitions = _register(ws, events, sample_dir)
    names = [d.name for d in definitions]
    pit = point_in_time_features(transactions, events, definitions)
    naive = naive_features(transactions, events, definitions)
    scores = train_and_score(pit, naive, names)
    customer = pick_customer(pit, naive)
    timeline = customer_timeline(pit, naive, customer)
    train, validation, later = _split(pit)
    return LessonResult(
        scores=scores,
        metric=METRIC,
        customer=customer,
        timeline=timeline,
        sentence=explain(scores, customer, timeline),
        rows={"train": len(train), "validation": len(validation), "later": len(later)},
    )


def _register(ws, events: pd.DataFrame, sample_dir: Path) -> list[FeatureDefinition]:
    from core.data.datasets import latest_dataset, save_dataset
    from core.featurestore import catalog
    from core.workspace.errors import NotFoundError
    from core.workspace.projects import create_project, get_project

    try:
        project = get_project(ws, LESSON_PROJECT)
    except NotFoundError:
        project = create_project(ws, LESSON_PROJECT, source=EVENTS_FILE)
    dataset = latest_dataset(ws, int(project["id"]), "raw")
    if dataset is None:
        dataset = save_dataset(ws, int(project["id"]), events, kind="raw", name=EVENTS_FILE)
    stored = [catalog.register_definition(ws, d) for d in lesson_definitions(int(dataset["id"]))]
    for row in stored:
        catalog.use_in_project(ws, int(project["id"]), int(row["id"]))
    return [row["definition"] for row in stored]

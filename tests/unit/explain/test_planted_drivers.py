"""The studio's own path (reader → recipe → features → model → SHAP) finds the drivers planted in
each sample (sample_data/README.md), and not the planted non-drivers."""

from pathlib import Path

import pytest

from core.data.cleaning import apply_recipe, suggest_recipe
from core.data.reader import read_path
from core.explain.explanations import explain_model
from core.explain.importance import get_importance_df
from core.features.preprocessing import suggest_features
from core.problem.definition import suggest_problem
from core.training.config import TrainConfig
from core.training.trainer import train_models

pytestmark = pytest.mark.slow  # the studio's whole path (read, clean, train, explain) on each sample table


SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def top_features(name: str, target: str, model: str) -> list[str]:
    raw, _ = read_path(SAMPLES / name)
    df, _ = apply_recipe(raw, suggest_recipe(raw, target))
    problem = suggest_problem(df, target)
    result = train_models(
        df, problem, suggest_features(df, problem), TrainConfig(models=("baseline", model), cv_folds=2)
    )
    best = result.best
    holdout = df.loc[result.test_index].drop(columns=[target])
    expl = explain_model(best.pipeline, holdout, problem.task, model_key=best.key, target_name=target)
    return get_importance_df(expl)["feature"].tolist()


def test_telco_drivers_through_the_studio_path():
    ranking = top_features("telco_churn.csv", "churn", "hist_gb")
    assert {"contract", "tenure_months", "support_calls"} <= set(ranking[:4]), ranking
    assert "gender" not in ranking[:5]


def test_house_price_drivers():
    ranking = top_features("house_prices.csv", "price", "hist_gb")
    assert ranking[0] == "living_area_sqm", ranking
    assert {"neighborhood", "overall_condition"} <= set(ranking[:5]), ranking


@pytest.mark.parametrize("model", ["hist_gb", "logistic"])
def test_card_fraud_drivers(model):
    ranking = top_features("card_fraud.csv", "is_fraud", model)
    planted = {"amount", "channel", "country", "num_tx_last_24h", "hour"}
    assert len(planted & set(ranking[:5])) >= 3, ranking
    assert "transaction_id" not in ranking

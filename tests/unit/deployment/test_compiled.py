"""The compiled preprocessing: equal to scikit-learn's transform on many tables, or a fallback that
says why."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_wine
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, PolynomialFeatures, StandardScaler

from core.deployment.compiled import CompiledTransform, Fallback, compile_preprocessor
from core.features.preprocessing import FeatureConfig, build_preprocessor, to_float_frame
from core.problem.definition import ProblemConfig


def _problem(target: str) -> ProblemConfig:
    return ProblemConfig(target=target, task="regression", metric="rmse")


def _mixed(n: int = 300, seed: int = 0, *, missing: bool = False, dates: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, n),
            "age": rng.integers(18, 90, n).astype(float),
            "plan": rng.choice(["basic", "plus", "pro", "legacy"], n, p=[0.5, 0.3, 0.19, 0.01]),
            "region": pd.array(rng.choice(["north", "south", "east"], n), dtype="str"),
            "y": rng.normal(size=n),
        }
    )
    if dates:
        stamps = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
        df["since"] = stamps + pd.to_timedelta(rng.integers(0, 24, n), unit="h")
    if missing:
        for column in ("amount", "plan", "region") + (("since",) if dates else ()):
            df.loc[rng.random(n) < 0.1, column] = None
    return df


def _inputs(df: pd.DataFrame, target: str) -> pd.DataFrame:
    """The model's input table as the served model reads it: numbers as floats, the rest as sent."""
    X = df.drop(columns=[target])
    for column in X.columns:
        if pd.api.types.is_integer_dtype(X[column]):
            X[column] = X[column].astype(float)
    return X


def _fit(df: pd.DataFrame, target: str, config: FeatureConfig) -> ColumnTransformer:
    return build_preprocessor(df, _problem(target), config).fit(df.drop(columns=[target]))


def _assert_equal(pre, reference: pd.DataFrame, new: pd.DataFrame) -> None:
    compiled = compile_preprocessor(pre, reference.head(20))
    assert isinstance(compiled, CompiledTransform), compiled
    expected = np.asarray(pre.transform(new), dtype=float)
    got = compiled.transform(new)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


CONFIGS = [
    FeatureConfig(),
    FeatureConfig(numeric_scaling="minmax", log_columns=("amount",)),
    FeatureConfig(numeric_scaling="none", one_hot=False),
    FeatureConfig(max_categories=3),  # rare categories become one 'infrequent' output
]


@pytest.mark.parametrize("config", CONFIGS, ids=["standard", "minmax+log", "ordinal", "infrequent"])
@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
def test_compiled_equals_sklearn_on_mixed_tables(config, missing):
    df = _mixed(missing=missing, dates=True)
    pre = _fit(df, "y", config)
    new = _inputs(_mixed(80, seed=1, missing=True, dates=True), "y")
    new.loc[0, "plan"] = "never seen"  # unseen categories, text and numbers
    new.loc[1, "region"] = "   "
    new["plan"] = new["plan"].astype(object)
    new.loc[2, "plan"] = 3.0
    new.loc[3, "amount"] = -50.0  # below the log's zero
    _assert_equal(pre, _inputs(df, "y"), new)


def test_compiled_equals_sklearn_on_numbers_only():
    data = load_diabetes(as_frame=True).frame
    pre = _fit(data, "target", FeatureConfig())
    X = _inputs(data, "target")
    _assert_equal(pre, X, X.sample(100, random_state=0))


def test_compiled_equals_sklearn_on_a_table_from_sklearn_with_a_category():
    data = load_wine(as_frame=True).frame
    data["cultivar"] = np.array(["barolo", "grignolino", "barbera"], dtype=object)[data["target"]]
    data = data.drop(columns=["target"])
    pre = _fit(data, "alcohol", FeatureConfig(numeric_scaling="minmax"))
    X = _inputs(data, "alcohol")
    X.loc[X.index[:5], "cultivar"] = ["nebbiolo", None, "barolo", "", "barbera"]
    _assert_equal(pre, X, X)


def test_compiled_equals_sklearn_on_dates_with_and_without_hours():
    df = _mixed(dates=True)
    df["day"] = df["since"].dt.normalize()  # no time of day: no hour part
    pre = _fit(df, "y", FeatureConfig())
    new = _inputs(_mixed(50, seed=3, missing=True, dates=True), "y")
    new["day"] = new["since"].dt.normalize()
    new.loc[0, "since"] = pd.Timestamp("1969-07-20 20:17")  # before 1970
    _assert_equal(pre, _inputs(df, "y"), new)


def test_a_step_it_does_not_know_falls_back_and_says_which():
    X = _inputs(_mixed(), "y")[["amount", "age"]]
    pre = ColumnTransformer(
        [("poly", Pipeline([("to_float", FunctionTransformer(to_float_frame)), ("p", PolynomialFeatures())]), ["age"])]
    ).fit(X)
    result = compile_preprocessor(pre, X)
    assert isinstance(result, Fallback) and "'poly'" in result.reason and "PolynomialFeatures" in result.reason


class _ShiftedScaler(StandardScaler):
    """Looks like a StandardScaler but adds one: the equality check must catch it."""

    def transform(self, X, copy=None):
        return super().transform(X, copy=copy) + 1


def test_a_mismatch_with_sklearn_falls_back():
    X = _inputs(_mixed(), "y")[["amount", "age"]]
    pre = ColumnTransformer(
        [("numeric", Pipeline([("to_float", FunctionTransformer(to_float_frame)), ("s", _ShiftedScaler())]), ["age"])]
    ).fit(X)
    result = compile_preprocessor(pre, X)
    assert isinstance(result, Fallback) and "differs" in result.reason


def test_not_a_column_transformer_falls_back():
    assert isinstance(compile_preprocessor(StandardScaler().fit([[1.0], [2.0]]), pd.DataFrame()), Fallback)

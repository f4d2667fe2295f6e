"""Direct loss estimation for a regression: a model of the errors learned on the holdout estimates MAE,
RMSE and R² of windows it has not seen, and refuses when the errors do not show in the inputs."""

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from core.monitoring.dle import LossModel, fit_loss_model
from core.monitoring.estimation import estimate_windows, fit_estimator

REALISED = {"mae": mean_absolute_error, "rmse": root_mean_squared_error, "r2": r2_score}


def make_rows(n: int, seed: int, spread_with_x: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x in [-2, 2]; the model predicts 2x; its errors grow with |x| (or are the same everywhere)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    noise = rng.normal(size=n) * (0.2 + np.abs(x) if spread_with_x else 1.0)
    return x.reshape(-1, 1), 2 * x + noise, 2 * x


class Lookup:
    """A stand-in loss regressor: the loss is the first input."""

    def predict(self, inputs):
        return np.asarray(inputs)[:, 0]


def test_window_estimate_from_expected_losses_by_hand():
    inputs = np.array([[1.0, 0.0], [3.0, 2.0]])  # expected loss, prediction
    assert LossModel("mae", Lookup()).estimate(inputs) == pytest.approx(2.0)
    assert LossModel("rmse", Lookup()).estimate(inputs) == pytest.approx(np.sqrt(2.0))
    # R²: the true values spread as the predictions (variance 1) plus the expected squared error (2).
    assert LossModel("r2", Lookup()).estimate(inputs) == pytest.approx(1 - 2.0 / (1.0 + 2.0))
    # With errors that went with the predictions on the holdout (slope 0.5), the spread is 2 × 1 + 2.
    assert LossModel("r2", Lookup(), slope=0.5).estimate(inputs) == pytest.approx(1 - 2.0 / 4.0)


# R² also guesses the spread of the true values, so it tracks less closely than the errors do.
@pytest.mark.parametrize(("metric", "gain"), [("mae", 3), ("rmse", 3), ("r2", 1.5)])
def test_estimate_tracks_windows_whose_errors_differ(metric, gain):
    x, y, predicted = make_rows(1200, 0)
    estimator, note = fit_estimator("regression", metric, y, predicted, rows=x, read_rows=np.asarray)
    assert estimator is not None and "direct loss estimation" in note
    x2, y2, predicted2 = make_rows(1800, 1)
    order = np.argsort(np.abs(x2[:, 0]))  # windows from the calm middle to the noisy edges
    x2, y2, predicted2 = x2[order], y2[order], predicted2[order]
    windows = np.repeat(np.arange(1, 7), 300)
    estimated = estimate_windows(estimator, windows, predicted2, x2).to_numpy()
    realised = np.array([REALISED[metric](y2[windows == w], predicted2[windows == w]) for w in range(1, 7)])
    usual = REALISED[metric](y, predicted)  # what the holdout says, whatever the window
    assert np.abs(estimated - realised).mean() < np.abs(usual - realised).mean() / gain


def test_errors_that_do_not_show_in_the_inputs_are_not_estimated():
    x, y, predicted = make_rows(1200, 0, spread_with_x=False)
    estimator, note = fit_estimator("regression", "mae", y, predicted, rows=x, read_rows=np.asarray)
    assert estimator is None and "not estimated" in note and "did not predict them better" in note


def test_small_holdouts_and_other_metrics_are_not_estimated():
    x, y, predicted = make_rows(60, 0)
    assert fit_loss_model("mae", y, np.column_stack([x, predicted]))[0] is None
    assert "too few" in fit_loss_model("mae", y, np.column_stack([x, predicted]))[1]
    assert fit_estimator("regression", "mape", y, predicted, rows=x, read_rows=np.asarray)[0] is None

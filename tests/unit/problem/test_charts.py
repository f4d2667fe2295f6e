"""core.problem.charts: the Problem page's target chart and its sentence."""

import pandas as pd

from core.problem.charts import caption_target, plot_target
from core.style import HEIGHT_SMALL


def test_a_class_target_shows_the_baseline_of_always_guessing_the_commonest_class():
    df = pd.DataFrame({"churn": ["No"] * 3 + ["Yes"]})
    fig = plot_target(df, "churn", "binary")
    assert fig.layout.title.text == "How often each value of churn occurs"
    assert fig.layout.height == HEIGHT_SMALL
    assert list(fig.data[0].y) == [3, 1]
    assert caption_target(df, "churn", "binary").startswith("The most common value, 'No', makes up 75% of rows")


def test_a_number_target_shows_its_range_and_median():
    df = pd.DataFrame({"price": [1.0, 2.0, 10.0]})
    assert plot_target(df, "price", "regression").layout.title.text == "Distribution of price"
    assert caption_target(df, "price", "regression") == (
        "price ranges from 1 to 10, with a median of 2: the model predicts a number in this range."
    )

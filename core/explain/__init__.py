"""Explanations: SHAP values per model family, summed back to the input columns."""

"""The training lab: the model catalog, cross-validation, tuning, and the experiment tracker."""

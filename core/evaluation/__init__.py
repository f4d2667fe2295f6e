"""Evaluate and gate: metrics reports, comparison, fairness, robustness and the go/no-go gate."""

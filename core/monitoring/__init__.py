"""Monitoring: drift tests, simulated production traffic, reports, and the retraining they lead to."""

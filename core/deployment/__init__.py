"""Deployment: the served model behind a routing strategy (single, canary, shadow, blue-green, A/B)."""

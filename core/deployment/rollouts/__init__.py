"""Rollout strategies that decide: canary with automatic rollback, A/B readout, shadow comparison,
blue-green switch; their traffic with delayed labels, their statistics and their records."""

"""The feature store: feature definitions shared across projects, computed point-in-time correctly.

- ``definitions``: what a feature is (entity, source table, timestamp, a safe transformation, owner,
  description) and its validation.
- ``catalog``: definitions stored in the workspace (named, versioned) and which projects use them.
- ``transforms``: row-level expressions from a fixed safe set and windowed aggregates per entity.
- ``joins``: the point-in-time (as-of) join, and the naive join kept only as a demonstration.
- ``offline``: materialised values as hash-verified Parquet, per definition version and time range.
- ``lesson``: why point-in-time correctness matters, on the card-fraud sample.

Not to be confused with ``core.features.featurestore``, which keeps a project's preprocessing settings.
"""

"""The Features stage: the preprocessing every model carries, and the feature store."""

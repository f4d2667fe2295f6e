"""The Data stage: reading files, profiling, cleaning recipes, validation rules, dataset versions, lineage."""

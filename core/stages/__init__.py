"""The pipeline's stages as functions of (workspace, ids, config) -> saved result.

Each stage loads its inputs by id, computes with the stage packages, and saves what it made with
its lineage; nothing is kept in memory between stages. core.pipeline hands them on to the pages,
the demo and the CLI: one code path.
"""

"""Workflow benchmark: ``snakemake`` against the same work in one process.

``python -m bench.workflow --config config.yaml --cores 2`` (see
:mod:`bench.workflow.__main__`).
"""

"""Benchmarks of the emgmm project, run from the repository root.

``python -m bench.engine`` times the EM engine (``emgmm.GaussianMixture``)
against scikit-learn side by side; see :mod:`bench.engine`.  This folder is
not part of the installed package: it uses only the public API of ``emgmm``
and of scikit-learn.  (Snakemake writes its own per-job ``benchmarks/``
folder, git-ignored; hence the different name.)
"""

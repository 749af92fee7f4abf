"""Speed, memory and accuracy of ``emgmm.GaussianMixture`` against scikit-learn.

Run from the repository root::

    python -m bench.engine                    # every part, one pass
    python -m bench.engine --repeat-runs 3    # three passes, spread of each figure
    python -m bench.engine --quick            # tiny sizes (the tests run it)
    python -m bench.engine --format markdown --output bench.md

Modules, one concern each:

* :mod:`bench.engine.cases` -- the sizes, the synthetic data, the shared
  initial parameters and the goals the table is checked against;
* :mod:`bench.engine.limits` -- the minimal floating-point work and memory
  traffic of one EM iteration, and the machine's measured GEMM rate and
  bandwidth (the bound);
* :mod:`bench.engine.measure` -- timing, peak extra memory, machine
  description, and the four parts of a run (same start, other covariance
  types, float32, default ``fit()``);
* :mod:`bench.engine.report` -- text and markdown tables with spreads;
* :mod:`bench.engine.__main__` -- the command line.

Only public API is used (``emgmm.GaussianMixture`` and
``sklearn.mixture.GaussianMixture``), so the benchmark measures what a user
gets and survives changes of the engine's private modules.
"""

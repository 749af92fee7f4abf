"""Every EM peer side by side: ``python -m bench.peers`` from the repository root.

Full-covariance float64 Gaussian mixtures fitted by emgmm, scikit-learn,
oneDAL's ``em_gmm`` (daal4py, in the scikit-learn-intelex wheel), gmmx (JAX),
PyCave and pomegranate (torch), R's mclust (``Rscript``) and Spark MLlib
(pyspark, local mode), on the seeded data of
:func:`bench.engine.cases.make_data`, from the same start (scikit-learn's
k-means start, computed once per size) where the API allows.  Every peer is
optional: one that is not installed is a ``skipped: <reason>`` row.

Modules, one concern each:

* :mod:`bench.peers.adapters` -- one class per peer: found or not, version,
  thread limits, a fit from the shared start, its default fit;
* :mod:`bench.peers.child` -- one peer, size and thread count in a fresh
  process: timing, peak memory, log-likelihood (``case.R`` for mclust);
* :mod:`bench.peers.report` -- the markdown report;
* :mod:`bench.peers.__main__` -- the command line, data files, budget.
"""

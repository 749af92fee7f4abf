"""One class per peer: how it is found, limited to n threads and fitted.

Every peer answers the same questions (:class:`Peer`): is it installed
(:meth:`Peer.missing`, run in the parent, never importing the package),
its version, the environment its process needs for ``threads`` (set before
the process starts), the in-process thread limit and set-up
(:meth:`Peer.load`), a fit of exactly ``n_iter`` EM iterations from given
initial parameters (:meth:`Peer.same_start`) and its own default fit
(:meth:`Peer.default_fit`).  Both fits return ``(weights, means,
covariances, n_iter)`` as float64 NumPy arrays (``n_iter`` None where the
library does not report it), so the caller scores every peer with the same
log-likelihood.  R's mclust runs in its own ``Rscript`` process and
measures itself (:class:`Mclust`).

The initial parameters (``init``) are a dict of ``weights``, ``means``,
``covariances`` and ``precisions`` (full, float64): scikit-learn's k-means
start, computed once per size by :func:`bench.peers.child.kmeans_start`.
"""

import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np

__all__ = ["PEERS", "Peer"]


def _find_module(name):
    """The module's spec, or None (the tests replace this to hide peers)."""
    return importlib.util.find_spec(name)


def _find_program(name):
    """The program's path, or None (the tests replace this to hide peers)."""
    return shutil.which(name)


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _blas_env(threads):
    n = str(threads)
    return {
        "OMP_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "NUMBA_NUM_THREADS": n,
    }


class Peer:
    """The interface; subclasses fill in what differs."""

    name = ""
    modules = ()
    """Modules that must be importable, each with ``(module, pip name)``."""
    programs = ()
    """Programs that must be on PATH, each with ``(program, install hint)``."""
    dists = ()
    """Distributions whose versions the report lists."""
    how_threads = ""
    """How its threads are limited (for the report)."""
    compiles_per_call = False
    """True if a fit with another ``max_iter`` compiles anew (JAX): then the
    warm-up runs every fit the case times, the default fit included."""

    def missing(self):
        """None when the peer can run, else the reason (with the fix)."""
        for module, pip in self.modules:
            if _find_module(module) is None:
                return f"{module} not installed: pip install {pip}"
        for program, hint in self.programs:
            if _find_program(program) is None:
                return f"{program} not found: {hint}"
        return None

    def version(self):
        """``name version, ...`` of :attr:`dists`."""
        return ", ".join(f"{d} {_version(d)}" for d in self.dists)

    def env(self, threads):
        """Environment variables of the peer's process."""
        return _blas_env(threads)

    def load(self, threads):
        """Import, limit threads, start what the peer needs (in the child)."""
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(limits=threads)

    def close(self):
        """Stop what :meth:`load` started."""

    def same_start(self, X, init, n_iter):
        raise NotImplementedError

    def default_fit(self, X, n_components, seed):
        raise NotImplementedError


def _quiet():
    warnings.simplefilter("ignore")


class _SklearnLike(Peer):
    """emgmm and scikit-learn: the same estimator API."""

    how_threads = "threadpoolctl (BLAS, OpenMP) and NUMBA_NUM_THREADS"

    def same_start(self, X, init, n_iter):
        _quiet()
        gm = self.estimator(
            n_components=len(init["weights"]),
            covariance_type="full",
            tol=0.0,
            max_iter=n_iter,
            init_params="random_from_data",
            weights_init=init["weights"],
            means_init=init["means"],
            precisions_init=init["precisions"],
            random_state=0,
        ).fit(X)
        return gm.weights_, gm.means_, gm.covariances_, gm.n_iter_

    def default_fit(self, X, n_components, seed):
        _quiet()
        gm = self.estimator(n_components=n_components, random_state=seed).fit(X)
        return gm.weights_, gm.means_, gm.covariances_, gm.n_iter_


class Emgmm(_SklearnLike):
    name = "emgmm"
    modules = (("emgmm", "-e ."),)
    dists = ("emgmm", "numba")

    def load(self, threads):
        super().load(threads)
        import numba

        from emgmm import GaussianMixture

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        self.estimator = GaussianMixture


class Sklearn(_SklearnLike):
    name = "scikit-learn"
    modules = (("sklearn", "scikit-learn"),)
    dists = ("scikit-learn",)

    def load(self, threads):
        super().load(threads)
        from sklearn.mixture import GaussianMixture

        self.estimator = GaussianMixture


class OneDAL(Peer):
    name = "oneDAL em_gmm"
    modules = (("daal4py", "scikit-learn-intelex"),)
    dists = ("scikit-learn-intelex", "daal")
    how_threads = "daal4py.daalinit(n)"

    def load(self, threads):
        super().load(threads)
        import daal4py

        daal4py.daalinit(threads)
        self.d4p = daal4py

    def _result(self, res, k):
        covs = np.array([np.asarray(c) for c in res.covariances])
        return (
            np.ravel(res.weights),
            np.asarray(res.means),
            covs.reshape(k, *covs.shape[-2:]),
            int(np.ravel(res.nIterations)[0]),
        )

    def same_start(self, X, init, n_iter):
        k = len(init["weights"])
        res = self.d4p.em_gmm(
            nComponents=k,
            maxIterations=n_iter,
            accuracyThreshold=0.0,
            covarianceStorage="full",
            fptype="double",
        ).compute(X, init["weights"][None, :], init["means"], list(init["covariances"]))
        return self._result(res, k)

    def default_fit(self, X, n_components, seed):
        start = self.d4p.em_gmm_init(
            nComponents=n_components,
            fptype="double",
            engine=self.d4p.engines_mt19937(seed=seed),
        ).compute(X)
        res = self.d4p.em_gmm(nComponents=n_components, fptype="double").compute(
            X, start.weights, start.means, start.covariances
        )
        return self._result(res, n_components)


class Gmmx(Peer):
    name = "gmmx (JAX)"
    modules = (("gmmx", "gmmx jax"), ("jax", "jax"))
    dists = ("gmmx", "jax")
    compiles_per_call = True
    how_threads = (
        "XLA_FLAGS --xla_cpu_multi_thread_eigen=false "
        "intra_op_parallelism_threads=1 for one thread"
    )

    def env(self, threads):
        env = super().env(threads)
        env["JAX_ENABLE_X64"] = "1"
        env["JAX_PLATFORMS"] = "cpu"
        if threads == 1:
            env["XLA_FLAGS"] = (
                "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            )
        return env

    def load(self, threads):
        super().load(threads)
        import jax

        jax.config.update("jax_enable_x64", True)
        import gmmx.gmm
        from gmmx import EMFitter, GaussianMixtureModelJax

        # gmmx 0.7 refuses any parameter that is not float32; its EM code is
        # dtype-generic, so the check keeps only the shapes (float64 is this
        # benchmark's premise)
        check_shape = gmmx.gmm.check_shape

        def shape_only(array, expected):
            return check_shape(array.astype(jax.numpy.float32), expected)

        gmmx.gmm.check_shape = shape_only

        self.jax, self.fitter, self.model = jax, EMFitter, GaussianMixtureModelJax

    def _result(self, result):
        gmm = result.gmm
        return (
            np.asarray(gmm.weights_numpy, dtype=float),
            np.asarray(gmm.means_numpy, dtype=float),
            np.asarray(gmm.covariances.values_numpy, dtype=float),
            int(result.n_iter),
        )

    def same_start(self, X, init, n_iter):
        gmm = self.model.from_squeezed(
            means=init["means"],
            covariances=init["covariances"],
            weights=init["weights"],
        )
        # tol < 0: |change| >= tol always holds, so exactly max_iter iterations
        result = self.fitter(max_iter=n_iter, tol=-1.0).fit(x=self._x(X), gmm=gmm)
        return self._result(result)

    def _x(self, X):
        if getattr(self, "_x_src", None) is not X:
            self._x_src, self._x_dev = X, self.jax.numpy.asarray(X)
        return self._x_dev

    def default_fit(self, X, n_components, seed):
        gmm = self.model.from_k_means(X, n_components=n_components, random_state=seed)
        return self._result(self.fitter().fit(x=self._x(X), gmm=gmm))


class _Torch(Peer):
    how_threads = "torch.set_num_threads(n)"

    def load(self, threads):
        super().load(threads)
        import torch

        torch.set_num_threads(threads)
        torch.set_default_dtype(torch.float64)
        self.torch = torch


class PyCave(_Torch):
    name = "PyCave"
    modules = (("pycave", "pycave"), ("torch", "torch"))
    dists = ("pycave", "pytorch-lightning", "torch")

    def load(self, threads):
        import logging

        super().load(threads)
        # PyCave 3.0.1 (the newest on the index) pins torch<2 and
        # pytorch-lightning 1.4.9; with torch 2 it needs two shims: its
        # sampler passes data_source to Sampler.__init__, which torch 2 no
        # longer takes, torchmetrics 0.5 uses tqdm.auto unimported, and
        # pytorch-lightning 1.4 uses np.Inf, which numpy 2 removed.
        import torch.utils.data as tud
        import tqdm.auto  # noqa: F401

        init = tud.Sampler.__init__
        tud.Sampler.__init__ = lambda self, data_source=None: init(self)
        setattr(np, "Inf", np.inf)  # noqa: B010 (ruff would rename np.Inf)
        logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
        from pycave.bayes import GaussianMixture
        from pycave.bayes.gmm.lightning_module import GaussianMixtureLightningModule
        from pycave.bayes.gmm.model import (
            GaussianMixtureModel,
            GaussianMixtureModelConfig,
        )

        self.estimator = GaussianMixture
        self.module, self.model, self.config = (
            GaussianMixtureLightningModule,
            GaussianMixtureModel,
            GaussianMixtureModelConfig,
        )

    _trainer = {"progress_bar_refresh_rate": 0, "weights_summary": None}

    def _result(self, model, n_iter):
        prec_chol = model.precisions_cholesky.detach().numpy()
        prec = prec_chol @ np.swapaxes(prec_chol, 1, 2)
        return (
            model.component_probs.detach().numpy().copy(),
            model.means.detach().numpy().copy(),
            np.linalg.inv(prec),
            n_iter,
        )

    def same_start(self, X, init, n_iter):
        # PyCave's fit() takes initial means only; the same start is its
        # model given all three parameters, trained by its own EM module
        # (the loop fit() runs after its initialisation).
        k, d = init["means"].shape
        est = self.estimator(k, convergence_tolerance=0.0, trainer_params=self._trainer)
        model = self.model(
            self.config(num_components=k, num_features=d, covariance_type="full")
        )
        prec_chol = np.linalg.cholesky(init["precisions"])
        torch = self.torch
        with torch.no_grad():
            model.component_probs.copy_(torch.from_numpy(init["weights"]))
            model.means.copy_(torch.from_numpy(init["means"]))
            model.precisions_cholesky.copy_(torch.from_numpy(prec_chol))
        data = torch.from_numpy(X)
        module = self.module(model, convergence_tolerance=0.0)
        est._trainer(max_epochs=n_iter).fit(
            module, est._init_data_loader(data, for_training=True)
        )
        return self._result(model, module.current_epoch + 1)

    def default_fit(self, X, n_components, seed):
        self.torch.manual_seed(seed)
        # covariance_type: PyCave's default is "diag"
        est = self.estimator(
            n_components, covariance_type="full", trainer_params=self._trainer
        )
        est.fit(self.torch.from_numpy(X))
        return self._result(est.model_, int(est.num_iter_))


class Pomegranate(_Torch):
    name = "pomegranate"
    modules = (("pomegranate", "pomegranate"), ("torch", "torch"))
    dists = ("pomegranate", "torch")

    def load(self, threads):
        super().load(threads)
        from pomegranate.distributions import Normal
        from pomegranate.gmm import GeneralMixtureModel

        self.mixture, self.normal = GeneralMixtureModel, Normal

    def _result(self, gmm, n_iter):
        return (
            gmm.priors.detach().numpy().copy(),
            np.array([c.means.detach().numpy() for c in gmm.distributions]),
            np.array([c.covs.detach().numpy() for c in gmm.distributions]),
            n_iter,
        )

    def same_start(self, X, init, n_iter):
        torch = self.torch
        comps = [
            self.normal(torch.from_numpy(m.copy()), torch.from_numpy(c.copy()), "full")
            for m, c in zip(init["means"], init["covariances"], strict=True)
        ]
        # tol=-inf: pomegranate stops when the gain is below tol, so never
        gmm = self.mixture(
            comps,
            priors=torch.from_numpy(init["weights"].copy()),
            max_iter=n_iter,
            tol=-np.inf,
        )
        gmm.fit(torch.from_numpy(X))
        return self._result(gmm, n_iter)

    def default_fit(self, X, n_components, seed):
        # float32: its k-means start casts the data to float32 and then
        # fails on float64 data (pomegranate 1.1.2), so its default is float32
        comps = [self.normal(covariance_type="full") for _ in range(n_components)]
        gmm = self.mixture(comps, random_state=seed)
        self.torch.set_default_dtype(self.torch.float32)
        try:
            gmm.fit(self.torch.from_numpy(X.astype(np.float32)))
        finally:
            self.torch.set_default_dtype(self.torch.float64)
        result = self._result(gmm, None)
        return tuple(np.asarray(a, dtype=float) for a in result[:3]) + (None,)


class Spark(Peer):
    name = "Spark MLlib"
    modules = (("pyspark", "pyspark"),)
    programs = (("java", "install Java 17 (apt-get install openjdk-17-jre-headless)"),)
    dists = ("pyspark",)
    how_threads = "SparkContext master local[n]"

    def env(self, threads):
        env = super().env(threads)
        env["PYSPARK_PYTHON"] = env["PYSPARK_DRIVER_PYTHON"] = sys.executable
        return env

    def load(self, threads):
        super().load(threads)
        from pyspark import SparkConf, SparkContext
        from pyspark.mllib import clustering, linalg

        conf = (
            SparkConf()
            .setMaster(f"local[{threads}]")
            .setAppName("bench.peers")
            .set("spark.driver.memory", "8g")
            .set("spark.ui.enabled", "false")
            .set("spark.ui.showConsoleProgress", "false")
        )
        self.sc = SparkContext(conf=conf)
        self.sc.setLogLevel("ERROR")
        self.threads = threads
        self.clustering, self.linalg = clustering, linalg

    def close(self):
        self.sc.stop()

    def _rdd(self, X):
        if getattr(self, "_rdd_src", None) is not X:
            dense = self.linalg.Vectors.dense
            rows = [dense(row) for row in X]
            self._rdd_src = X
            self._rdd_val = self.sc.parallelize(rows, self.threads).cache()
            self._rdd_val.count()
        return self._rdd_val

    def _result(self, model):
        return (
            np.asarray(model.weights, dtype=float),
            np.array([g.mu.toArray() for g in model.gaussians]),
            np.array([g.sigma.toArray() for g in model.gaussians]),
            None,
        )

    def same_start(self, X, init, n_iter):
        k, d = init["means"].shape
        lin = self.linalg
        from pyspark.mllib.stat.distribution import MultivariateGaussian

        gaussians = [
            MultivariateGaussian(
                lin.Vectors.dense(m), lin.DenseMatrix(d, d, c.ravel(order="F"))
            )
            for m, c in zip(init["means"], init["covariances"], strict=True)
        ]
        # train() reads only k, weights and gaussians of its initialModel
        start = SimpleNamespace(k=k, weights=list(init["weights"]), gaussians=gaussians)
        model = self.clustering.GaussianMixture.train(
            self._rdd(X),
            k,
            convergenceTol=0.0,
            maxIterations=n_iter,
            seed=0,
            initialModel=start,
        )
        return self._result(model)

    def default_fit(self, X, n_components, seed):
        model = self.clustering.GaussianMixture.train(
            self._rdd(X), n_components, seed=seed
        )
        return self._result(model)


class Mclust(Peer):
    """R's mclust, model VVV (full covariances), in one ``Rscript`` process.

    The script (:data:`bench.peers.rscript.SCRIPT`) does the whole case in R
    and prints its measurements; :func:`bench.peers.child.measure` calls
    :meth:`run` instead of the Python fits.
    """

    name = "R mclust"
    programs = (("Rscript", "apt-get install -y r-cran-mclust"),)
    how_threads = "OMP_NUM_THREADS, OPENBLAS_NUM_THREADS"

    def missing(self):
        reason = super().missing()
        if reason is not None:
            return reason
        out = subprocess.run(
            ["Rscript", "-e", "suppressMessages(library(mclust))"],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            return "R package mclust not installed: apt-get install -y r-cran-mclust"
        return None

    def version(self):
        if _find_program("Rscript") is None:
            return "R not installed"
        out = subprocess.run(
            [
                "Rscript",
                "-e",
                'cat(R.version$major, ".", R.version$minor, " ", '
                'as.character(packageVersion("mclust")), sep="")',
            ],
            capture_output=True,
            text=True,
        )
        r, _, mclust = out.stdout.strip().partition(" ")
        return f"R {r}, mclust {mclust}" if out.returncode == 0 else "unknown"


PEERS = {
    peer.name: peer
    for peer in (
        Emgmm(),
        Sklearn(),
        OneDAL(),
        Gmmx(),
        PyCave(),
        Pomegranate(),
        Mclust(),
        Spark(),
    )
}
"""Every peer by its row label, in the report's order."""

ALIASES = {
    "emgmm": "emgmm",
    "sklearn": "scikit-learn",
    "onedal": "oneDAL em_gmm",
    "gmmx": "gmmx (JAX)",
    "pycave": "PyCave",
    "pomegranate": "pomegranate",
    "mclust": "R mclust",
    "spark": "Spark MLlib",
}
"""Short names for ``--peers``."""

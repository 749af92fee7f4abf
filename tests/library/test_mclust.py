"""emgmm.mclust against R's mclust 6.0, used as a black box.

One Rscript run (tests/library/mclust/export.R) writes the data sets (faithful, iris's
4 numeric columns, a synthetic 5-feature mixture), mclust's hierarchical
partitions, ``me()`` results for all 14 models from the same ``z``, and the
``mclustBIC``/``mclustICL`` tables with ``Mclust``'s choice; the tests read
those files, so no R bindings are needed.  R and mclust are installed from
Debian's packages by tests/library/mclust/install_r.sh where apt is available; without
them the tests skip with the reason, except under CI (``CI=true``), where they
fail.
"""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emgmm import mclust

HERE = Path(__file__).parent / "mclust"
MULTIVARIATE = ["faithful", "iris", "synth"]
DATASETS = [*MULTIVARIATE, "waiting"]  # waiting: faithful's one feature
MODELS = [m.name for m in mclust._models.MULTIVARIATE]
ME_CASES = [(ds, m) for ds in MULTIVARIATE for m in MODELS] + [
    ("waiting", "E"),
    ("waiting", "V"),
]


def _unavailable(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"R's mclust is required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def r_results(tmp_path_factory):
    """Directory of R mclust's exported results (installs R if it can)."""
    proc = subprocess.run(
        ["bash", str(HERE / "install_r.sh")], capture_output=True, text=True
    )
    if proc.returncode != 0 or shutil.which("Rscript") is None:
        _unavailable(f"R's mclust is not available: {proc.stderr.strip()}")
    out = tmp_path_factory.mktemp("mclust_r")
    proc = subprocess.run(
        ["Rscript", str(HERE / "export.R"), str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return out


def read(out, name, **kwargs):
    return pd.read_csv(out / name, **kwargs)


def data(out, ds):
    return read(out, f"{ds}_X.csv").to_numpy(float)


def r_partition(out, ds, G):
    """mclust's hierarchical partition into G groups, 0-based."""
    return read(out, f"{ds}_hc.csv")[str(G)].to_numpy() - 1


def test_r_defaults(r_results):
    """The defaults EMControl and the hc start reproduce are mclust 6.0's."""
    info = dict(
        line.split("=", 1) for line in (r_results / "info.txt").read_text().split()
    )
    assert info["version"] == "6.0.0"
    control = mclust.EMControl()
    assert float(info["eps"]) == control.eps
    assert float(info["tol1"]) == control.tol[0]
    assert float(info["tol2"]) == control.tol[1]
    assert int(info["itmax1"]) == control.itmax[0] == int(info["itmax2"])
    assert (info["hcModelName"], info["hcUse"]) == ("VVV", "SVD")


@pytest.mark.parametrize(("ds", "model"), ME_CASES)
def test_me_matches_r(r_results, ds, model):
    """me() from mclust's G = 3 start: loglik 1e-8, parameters 1e-6, same steps."""
    X = data(r_results, ds)
    z = np.eye(3)[r_partition(r_results, ds, 3)]
    r = read(r_results, f"{ds}_me.csv")
    r = r[r.model == model]

    def get(what):
        return r[r.what == what].value.to_numpy(float)

    fit = mclust.me(X, model, z)
    assert fit.error is None
    assert fit.n_parameters == get("npar")[0]
    assert fit.iterations == get("iterations")[0]
    np.testing.assert_allclose(fit.loglik, get("loglik")[0], rtol=1e-8)
    for what in ("pro", "mean", "sigma"):
        ours = getattr(fit, what).ravel()
        theirs = get(what)
        scale = np.max(np.abs(theirs))
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6 * scale)


def test_svd_transform_matches_r(r_results):
    """hcUse = "SVD" is U D^(1/2) of the scaled data (columns up to sign)."""
    for ds in MULTIVARIATE:
        ours = mclust.svd_transform(data(r_results, ds))
        theirs = read(r_results, f"{ds}_hcdata.csv", header=None).to_numpy()
        signs = np.sign(np.sum(ours * theirs, axis=0))
        np.testing.assert_allclose(ours * signs, theirs, atol=1e-12)


@pytest.fixture(scope="session")
def fitted_with_r_start(r_results):
    """mclust.mclust on each data set, from mclust's own hc partitions."""
    fits = {}
    for ds in DATASETS:
        start = {G: r_partition(r_results, ds, G) for G in range(2, 10)}
        fits[ds] = mclust.mclust(data(r_results, ds), initialization=start)
    return fits


def _assert_table(ours, theirs):
    theirs = theirs.to_numpy(float)
    values = ours.to_numpy()
    assert ours.shape == theirs.shape
    assert ours.shape[0] == 9
    np.testing.assert_array_equal(np.isnan(values), np.isnan(theirs))
    np.testing.assert_allclose(values, theirs, rtol=1e-6)


@pytest.mark.parametrize("ds", DATASETS)
def test_bic_table_matches_mclustBIC(r_results, fitted_with_r_start, ds):
    """Same starts: the BIC table equals mclustBIC to 1e-6, NA in the same places."""
    fit = fitted_with_r_start[ds]
    assert list(fit.BIC.columns) == (MODELS if ds in MULTIVARIATE else ["E", "V"])
    assert list(fit.BIC.index) == list(range(1, 10))
    _assert_table(fit.BIC, read(r_results, f"{ds}_bic.csv"))


@pytest.mark.parametrize("ds", DATASETS)
def test_icl_table_matches_mclustICL(r_results, fitted_with_r_start, ds):
    _assert_table(fitted_with_r_start[ds].ICL, read(r_results, f"{ds}_icl.csv"))


@pytest.mark.parametrize("ds", DATASETS)
def test_chosen_model_matches_Mclust(r_results, fitted_with_r_start, ds):
    """Chosen model and G, its BIC and loglik, classification and uncertainty."""
    fit = fitted_with_r_start[ds]
    model, G, bic, loglik = (r_results / f"{ds}_best.txt").read_text().split()
    assert (fit.model, fit.G) == (model, int(G))
    np.testing.assert_allclose(
        [fit.bic, fit.loglik], [float(bic), float(loglik)], rtol=1e-8
    )
    best = read(r_results, f"{ds}_best.csv")
    # mclust labels components as its fit does; the partition is what counts.
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(best.classification, fit.classification) == 1.0
    np.testing.assert_allclose(fit.uncertainty, best.uncertainty, atol=1e-6)


@pytest.mark.parametrize("ds", DATASETS)
def test_default_bic_matches_mclustBIC(r_results, fitted_default, ds):
    """With its own hc start, mclust.bic(G=1..9) equals mclustBIC."""
    X = data(r_results, ds)
    theirs = read(r_results, f"{ds}_bic.csv")
    for G in range(2, 10):
        if X.shape[1] == 1:
            ours = mclust.qclass(X[:, 0], G)
        else:
            ours = mclust.hclass(mclust.hc(X), G)
        np.testing.assert_array_equal(ours, r_partition(r_results, ds, G))
    _assert_table(fitted_default[ds].BIC, theirs)


@pytest.fixture(scope="session")
def fitted_default(r_results):
    """mclust.mclust on each data set with its own default start."""
    return {ds: mclust.mclust(data(r_results, ds)) for ds in DATASETS}


@pytest.mark.parametrize("ds", DATASETS)
def test_default_start_chooses_mclusts_model(r_results, fitted_default, ds):
    """With its own hc start, mclust.mclust chooses Mclust's model and G, with
    the best BIC within 1e-4 relative (measured: 8e-16 at most for these data)."""
    fit = fitted_default[ds]
    model, G, bic, _ = (r_results / f"{ds}_best.txt").read_text().split()
    assert (fit.model, fit.G) == (model, int(G))
    np.testing.assert_allclose(fit.bic, float(bic), rtol=1e-4)


def test_hc_breaks_ties_as_mclust():
    """Three exact duplicate pairs tie; mclust merges them in its own order.
    The expected rows are R mclust 6.0.0's hc(X, "VVV", use = "VARS")
    (1-based), so this runs without R."""
    X = np.array(
        [[0, 0], [1, 0], [0, 0], [3, 1], [1, 0], [2, 2], [0, 1], [3, 1]], float
    )
    expected = [[4, 8], [2, 5], [1, 3], [1, 7], [4, 6], [1, 2], [1, 4]]
    np.testing.assert_array_equal(mclust.hc(X, use="VARS") + 1, expected)


def test_failed_fit_is_nan_not_an_error():
    """A singular covariance is NaN in me() and the table, never a crash."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(20, 3)), np.zeros((3, 3))])
    z = np.zeros((23, 2))
    z[:20, 0] = 1
    z[20:, 1] = 1
    fit = mclust.me(X, "VVV", z)
    assert np.isnan(fit.loglik) and fit.error
    table = mclust.bic(X, G=[1, 2], models=["VVV", "EEE"], initialization={2: z[:, 1]})
    assert np.isnan(table.loc[2, "VVV"]) and np.isfinite(table.loc[2, "EEE"])
    assert np.isfinite(table.loc[1]).all()


def test_bad_inputs_name_the_parameter():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="modelName"):
        mclust.me(X, "XYZ", np.ones((10, 1)))
    with pytest.raises(ValueError, match="z must have shape"):
        mclust.me(X, "VVV", np.ones((9, 1)))
    with pytest.raises(ValueError, match="E or V"):
        mclust.me(X[:, :1], "VVV", np.ones((10, 1)))

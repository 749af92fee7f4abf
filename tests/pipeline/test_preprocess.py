"""emgmm.pipeline.preprocess: scaling and principal components before UMAP."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import RobustScaler, StandardScaler
from threadpoolctl import threadpool_limits

from emgmm import InputError
from emgmm.pipeline.preprocess import SOURCE_SCALING, preprocess, resolve


@pytest.fixture
def mixed_units():
    """Millimetres beside grams: columns whose spreads differ 100-fold."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * [5.0, 2.0, 800.0] + [40.0, 17.0, 4200.0]
    X[:5, 2] += 5000.0  # a few outliers
    return X


def test_standard_is_z_scores(mixed_units):
    Z, info = preprocess(mixed_units, scale="standard")
    np.testing.assert_allclose(Z, StandardScaler().fit_transform(mixed_units))
    assert info["scale"] == "standard" and info["n_features"] == 3


def test_robust_centres_on_the_median_and_divides_by_the_iqr(mixed_units):
    Z, _ = preprocess(mixed_units, scale="robust")
    np.testing.assert_allclose(Z, RobustScaler().fit_transform(mixed_units))


def test_none_keeps_the_data(mixed_units):
    Z, _ = preprocess(mixed_units, scale="none")
    np.testing.assert_array_equal(Z, mixed_units)


@pytest.mark.parametrize("scale", ["standard", "robust", "none"])
def test_in_place_gives_the_same_bytes(mixed_units, scale):
    # copy=False (the workflow's step) scales the caller's array itself
    expected, _ = preprocess(mixed_units, scale=scale)
    X = mixed_units.copy()
    Z, _ = preprocess(X, scale=scale, copy=False)
    assert Z.tobytes() == expected.tobytes()
    assert np.shares_memory(Z, X)


def test_a_column_without_spread_is_only_centred():
    X = np.array([[1.0, 7.0], [2.0, 7.0], [4.0, 7.0]])
    for scale in ("standard", "robust"):
        Z, _ = preprocess(X, scale=scale)
        np.testing.assert_array_equal(Z[:, 1], 0.0)


def test_principal_components_are_scikit_learns(mixed_units):
    Z, info = preprocess(mixed_units, scale="standard", pca=2)
    pca = PCA(2, svd_solver="full").fit(StandardScaler().fit_transform(mixed_units))
    np.testing.assert_allclose(
        Z, pca.transform(StandardScaler().fit_transform(mixed_units))
    )
    np.testing.assert_allclose(
        info["explained_variance_ratio"], pca.explained_variance_ratio_
    )
    assert info["names"] == ["PC1", "PC2"] and info["n_features_in"] == 3
    assert 0 < info["explained_variance_total"] <= 1


def test_same_bytes_whatever_the_threads():
    X = np.random.default_rng(1).normal(size=(3000, 40))
    outs = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            outs.append(preprocess(X, scale="standard", pca=10)[0].tobytes())
    assert outs[0] == outs[1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": "zscore"}, "scale must be one of none, standard, robust or auto"),
        ({"pca": 4}, "preprocess pca must be between 1 and 3"),
        ({"pca": 0}, "preprocess pca must be between 1 and 3"),
    ],
)
def test_bad_settings_are_one_line(kwargs, message):
    X = np.random.default_rng(2).normal(size=(10, 3))
    with pytest.raises(InputError, match=message):
        preprocess(X, **kwargs)


def test_auto_scales_tables_and_not_pixels_or_blobs():
    assert resolve({"scale": "auto", "pca": None}, "file")["scale"] == "standard"
    for source in ("digits", "blobs", "large"):
        assert resolve({"scale": "auto"}, source)["scale"] == "none"
    chosen = resolve({"scale": "robust", "pca": 5}, "digits")
    assert chosen == {"scale": "robust", "pca": 5, "scale_chosen_by": "config"}
    # every source of the schema has its default
    from emgmm.pipeline.config import parameter_schema

    assert set(SOURCE_SCALING) == set(parameter_schema("dataset", "source")["enum"])

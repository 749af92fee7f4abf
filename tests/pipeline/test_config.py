"""Config validation: defaults filled in, one line per mistake."""

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

from emgmm import InputError
from emgmm.pipeline import config as config_module
from emgmm.pipeline.config import validate_config
from emgmm.pipeline.embed import _check_params

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


def default_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_default_config_is_valid_and_defaults_are_filled():
    config = validate_config({"datasets": {"d": {"source": "digits"}}}, SCHEMA)
    assert config["K"] == [4]
    assert config["mixture"]["reg_covar"] == 1e-6
    assert config["threads"] == {"embed": 1, "fit": 1}
    validate_config(default_config(), SCHEMA)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Kk": [3]}, "config: unknown key(s) 'Kk'; allowed:"),
        ({"K": [0]}, "config key 'K/0': must be >= 1, got 0"),
        ({"K": "4"}, "config key 'K': expected array, got '4'"),
        ({"covariance_types": ["ful"]}, "config key 'covariance_types/0': 'ful'"),
        (
            {"covariance_types": ["VVV", "EEI"]},
            "config key 'covariance_types': must hold at least one of full, tied,",
        ),
        ({"emgmm": {"max_iter": 10, "toll": 1}}, "unknown key(s) 'toll'"),
        ({"umap": {"n_neighbors": 1.5}}, "config key 'umap/n_neighbors': expected"),
        ({"datasets": {"x": {"source": "file"}}}, "'path' is a required property"),
        ({"datasets": {"x": {"source": "csv"}}}, "'csv' is not allowed; use one of"),
        ({"datasets": {"bad name": {"source": "digits"}}}, "dataset name 'bad name'"),
        ({"umap": {"n_components": 1}}, "config key 'umap/n_components': must be >="),
        ({"umap": {"metric": ""}}, "config key 'umap/metric': must not be empty"),
    ],
)
def test_mistakes_give_one_line_naming_the_key(change, expected):
    config = copy.deepcopy(default_config())
    config.update(change)
    with pytest.raises(InputError) as err:
        validate_config(config, SCHEMA)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_covariance_types_split_into_sklearn_types_and_mclust_models():
    names = ["VVV", "full", "EEI", "diag", "spherical", "VEV", "tied"]
    config = validate_config(
        {"datasets": {"d": {"source": "digits"}}, "covariance_types": names}, SCHEMA
    )
    sklearn, models = config_module.split_covariance_types(config["covariance_types"])
    assert sklearn == ["full", "diag", "spherical", "tied"]
    assert models == ["VVV", "EEI", "VEV"]
    # Every name the schema allows is one or the other: a scikit-learn type
    # the engine fits, or a model emgmm.mclust fits.
    from emgmm._gaussian_mixture import COVARIANCE_TYPES
    from emgmm.mclust import MODELS

    allowed = config_module._schema()["properties"]["covariance_types"]["items"]
    sklearn, models = config_module.split_covariance_types(allowed["enum"])
    assert sorted(sklearn) == sorted(COVARIANCE_TYPES)
    assert set(models) <= set(MODELS) and len(models) == 14
    assert config_module.split_covariance_types(["full"]) == (["full"], [])


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        (
            {"source": "digits", "n_samples": 100},
            "config key 'datasets/x': unknown key(s) 'n_samples' for source "
            "'digits'; allowed: fit_space, on_duplicates, on_invalid, preprocess, "
            "source, umap",
        ),
        (
            {"source": "blobs", "path": "a.csv"},
            "config key 'datasets/x': unknown key(s) 'path' for source 'blobs'; "
            "allowed: centers, cluster_std, fit_space, n_features, n_samples, "
            "on_duplicates, on_invalid, preprocess, random_state, source, umap",
        ),
        (
            {"source": "large", "label_column": "y"},
            "config key 'datasets/x': unknown key(s) 'label_column' for source 'large'",
        ),
        (
            {"source": "file", "path": "a.csv", "n_features": 3},
            "config key 'datasets/x': unknown key(s) 'n_features' for source "
            "'file'; allowed: columns, fit_space, label_column, on_duplicates, "
            "on_invalid, path, preprocess, source, umap",
        ),
        (
            {"source": "digits", "on_invalid": "skip"},
            "config key 'datasets/x/on_invalid': 'skip' is not allowed",
        ),
    ],
)
def test_each_source_takes_only_its_own_keys(dataset, expected):
    with pytest.raises(InputError) as err:
        validate_config({"datasets": {"x": dataset}}, SCHEMA)
    assert str(err.value).startswith(expected), str(err.value)


def test_keys_every_source_takes_get_their_defaults():
    config = validate_config(
        {
            "datasets": {
                "d": {"source": "digits", "umap": {"n_neighbors": 5}},
                "f": {"source": "file", "path": "a.csv", "on_invalid": "drop"},
            }
        },
        SCHEMA,
    )
    assert config["datasets"]["d"] == {
        "source": "digits",
        "umap": {"n_neighbors": 5},  # a dataset's own block gets no defaults
        "on_invalid": "error",
        "on_duplicates": "keep",
    }
    assert config["datasets"]["f"]["on_invalid"] == "drop"


def test_the_workflow_schema_is_the_package_schema():
    """workflow/schemas/config.schema.yaml is the package's file, not a copy,
    and the schema the installed package reads (editable or not) is that file."""
    assert SCHEMA.resolve() == REPO / "src/emgmm/pipeline/config.schema.yaml"
    assert config_module.SCHEMA_PATH.read_bytes() == SCHEMA.read_bytes()


# Every bounded UMAP setting, with a value just outside each bound and the
# bound itself: the config and umap_embed must agree on both.
UMAP_SETTINGS = config_module.definition("umap_parameters")["properties"]
SIGNS = {"minimum": -1, "exclusiveMinimum": 0, "maximum": 1, "exclusiveMaximum": 0}


def _bound_cases():
    for name in UMAP_SETTINGS:
        spec = config_module.parameter_schema("umap_parameters", name)
        step = 1 if "integer" in spec.get("type", []) else 0.5
        for key in ("minimum", "maximum"):
            if key in spec:
                yield name, spec[key] + SIGNS[key] * step, spec[key]


BOUND_CASES = list(_bound_cases())


def test_bounds_cover_the_umap_settings():
    assert {name for name, _, _ in BOUND_CASES} == {
        "n_components",
        "n_neighbors",
        "min_dist",
        "random_state",
        "subsample",
        "transform_chunks",
    }


def _embed_check(name, value):
    X = np.arange(150.0).reshape(50, 3) ** 1.5
    params = dict(
        n_components=2,
        n_neighbors=15,
        min_dist=0.1,
        metric="euclidean",
        random_state=42,
        subsample=None,
        init="spectral",
        low_memory=True,
        n_epochs=None,
    )
    if name == "subsample":  # the smallest subsample needs the fewest neighbours
        params["n_neighbors"] = 2
    params[name] = value
    return _check_params(X, **params)


@pytest.mark.parametrize(("name", "outside", "bound"), BOUND_CASES)
def test_config_and_umap_embed_share_every_bound(name, outside, bound):
    """Before: min_dist 1.5 passed the config and failed in UMAP's job;
    subsample 5 failed the config (>= 10) though umap_embed took 2."""
    config = {"datasets": {"d": {"source": "digits"}}, "umap": {name: outside}}
    with pytest.raises(InputError) as schema_err:
        validate_config(config, SCHEMA)
    with pytest.raises(InputError) as embed_err:
        _embed_check(name, outside)
    assert f"config key 'umap/{name}'" in str(schema_err.value)
    assert str(embed_err.value).startswith(f"{name} must be")
    assert f"got {outside!r}" in str(embed_err.value)
    # The bound itself is allowed by both.
    config["umap"][name] = bound
    validate_config(config, SCHEMA)
    _embed_check(name, bound)


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")))
def test_config_files_are_valid(path):
    validate_config(yaml.safe_load(path.read_text()), SCHEMA)


# -- config files: reading them, and what an overlay changes ------------------


def test_a_yaml_mistake_names_file_line_and_column(tmp_path):
    """Before: Snakemake's 'Config file is not valid JSON or YAML', no file
    or line."""
    path = tmp_path / "mine.yaml"
    path.write_text("datasets:\n  mine:\n    source: file\nK: [2, 3\nseeds: [0]\n")
    with pytest.raises(InputError) as err:
        config_module.read_config_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}:5:6: not valid YAML (")
    assert "\n" not in message


def test_a_tab_is_named_as_the_mistake(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("datasets:\n  mine:\n\tsource: file\n")
    with pytest.raises(InputError, match=r"mine.yaml:3:1: .*that line holds a tab"):
        config_module.read_config_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"does not exist \(looked in"),
        ("- a\n- b\n", "must hold keys such as 'datasets:' and 'K:' at its top level"),
    ],
)
def test_a_missing_or_keyless_file_is_one_line(tmp_path, text, message):
    path = tmp_path / "mine.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(InputError, match=message):
        config_module.read_config_file(path)


def test_an_empty_file_changes_nothing(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    assert config_module.read_config_file(path) == {}


def merged(*files):
    """Snakemake's merge of config files (snakemake.utils.update_config)."""
    from snakemake.utils import update_config

    out = {}
    for f in files:
        update_config(out, copy.deepcopy(f))
    return out


BASE = {"datasets": {"digits": {"source": "digits"}}, "K": [2, 4], "seeds": [42]}
MINE = {"datasets": {"mine": {"source": "file", "path": "m.csv"}}}


def test_an_overlay_naming_datasets_runs_only_those():
    """Before: `--configfile config.yaml mine.yaml` ran digits too."""
    config = config_module.apply_overlays(merged(BASE, MINE), [BASE, MINE])
    assert list(config["datasets"]) == ["mine"]
    assert config["K"] == [2, 4]  # config.yaml's other settings stay


def test_an_overlay_of_settings_keeps_the_datasets():
    config = config_module.apply_overlays(merged(BASE, {"K": [3]}), [BASE, {"K": [3]}])
    assert list(config["datasets"]) == ["digits"] and config["K"] == [3]


def test_an_overlay_may_change_one_key_of_a_dataset():
    change = {"datasets": {"digits": {"on_duplicates": "drop"}}}
    config = config_module.apply_overlays(merged(BASE, change), [change])
    assert config["datasets"] == {
        "digits": {"source": "digits", "on_duplicates": "drop"}
    }


def test_a_null_dataset_is_left_out():
    """Before: `digits: null` in an overlay was a config error."""
    change = {"datasets": {"digits": None, **MINE["datasets"]}}
    config = config_module.apply_overlays(merged(BASE, change), [change])
    assert list(config["datasets"]) == ["mine"]
    validate_config(config)  # what the workflow checks next


def test_config_files_can_be_checked_before_snakemake_reads_them(
    tmp_path, monkeypatch, capsys
):
    """Snakemake reads a --configfile itself, before the workflow, and names
    neither the file nor the line of a YAML mistake: `python -m emgmm.pipeline.config`
    does, and checks the merge as the workflow does."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(BASE))
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(MINE))
    assert config_module.main(["config.yaml", "mine.yaml"]) == 0
    assert capsys.readouterr().out == "emgmm: config ok: datasets mine\n"
    (tmp_path / "typo.yaml").write_text("K: [2, 3\n")
    assert config_module.main(["config.yaml", "typo.yaml"]) == 1
    assert capsys.readouterr().err.startswith(
        "emgmm: config error: typo.yaml:2:1: not valid YAML"
    )
    (tmp_path / "wrong.yaml").write_text("seed: [1]\n")
    assert config_module.main(["config.yaml", "wrong.yaml"]) == 1
    assert "unknown key(s) 'seed'" in capsys.readouterr().err

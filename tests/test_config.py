"""Config validation: defaults filled in, one line per mistake."""

import copy
from pathlib import Path

import pytest
import yaml

from emgmm import InputError
from emgmm.config import validate_config

REPO = Path(__file__).resolve().parents[1]
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
        ({"emgmm": {"max_iter": 10, "toll": 1}}, "unknown key(s) 'toll'"),
        ({"umap": {"n_neighbors": 1.5}}, "config key 'umap/n_neighbors': expected"),
        ({"datasets": {"x": {"source": "file"}}}, "'path' is a required property"),
        ({"datasets": {"x": {"source": "csv"}}}, "'csv' is not allowed; use one of"),
        ({"datasets": {"bad name": {"source": "digits"}}}, "dataset name 'bad name'"),
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

"""Packaging: the supported ranges, their tested ends and the lock files agree.

pyproject.toml declares compatible ranges; requirements/oldest.txt pins each
range's lower end (tested on Python 3.13 by .ci/run) and
requirements/constraints.txt the exact versions the whole suite ran with
(used by the README's quick start and .ci/run); envs/emgmm.yaml is the conda
environment of the rules. These tests keep the four from drifting apart and
check that the environment running them is inside the declared ranges.
"""

import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DEPENDENCIES = [Requirement(r) for r in PYPROJECT["dependencies"]]
# Each extra's own requirements (not the self-references, "emgmm[pipeline]").
EXTRAS = {
    extra: [Requirement(r) for r in reqs if Requirement(r).name != "emgmm"]
    for extra, reqs in PYPROJECT["optional-dependencies"].items()
}
# What the pipeline and the tests run with: the core and the pipeline extra.
RUNTIME = DEPENDENCIES + EXTRAS["pipeline"]
# and the library's own optional extra (tested at both ends too)
TESTED = RUNTIME + EXTRAS["dask"]
# conda-forge names of the same packages
CONDA_NAMES = {"matplotlib-base": "matplotlib", "seaborn-base": "seaborn"}


def read_pins(path):
    """``{canonical name: Version}`` of a ``name==version`` requirements file."""
    pins = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert m, f"{path.name}:{n}: not a 'name==version' line: {line!r}"
        pins[canonicalize_name(m[1])] = Version(m[2])
    return pins


OLDEST = read_pins(ROOT / "requirements" / "oldest.txt")
CONSTRAINTS = read_pins(ROOT / "requirements" / "constraints.txt")


def lower_end(req):
    """The version of the ``>=`` clause of a requirement (None if it has none)."""
    lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
    return max(lows) if lows else None


def test_read_pins_rejects_a_line_without_an_exact_version(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("# a comment\nnumpy==2.3.0\nscipy>=1.16\n")
    with pytest.raises(AssertionError, match="r.txt:3: not a 'name==version'"):
        read_pins(path)


def test_every_dependency_is_a_range_with_a_lower_end():
    for req in TESTED:
        assert lower_end(req) is not None, f"{req}: give the oldest supported version"
        assert not any(s.operator == "==" for s in req.specifier), (
            f"{req}: an exact pin belongs in requirements/constraints.txt"
        )


@pytest.mark.parametrize("req", TESTED, ids=str)
def test_oldest_pins_each_lower_end(req):
    name = canonicalize_name(req.name)
    assert name in OLDEST, f"{req.name} is missing from requirements/oldest.txt"
    assert OLDEST[name] == lower_end(req), (
        f"requirements/oldest.txt has {req.name}=={OLDEST[name]}, "
        f"pyproject.toml's lower end is {lower_end(req)}: change both together"
    )


def test_oldest_covers_the_previous_minor_releases():
    # the promise: numpy < 2.4, scipy < 1.17, scikit-learn < 1.9 and
    # pandas < 3.1 are supported (and tested through oldest.txt)
    for name, below in [
        ("numpy", "2.4"),
        ("scipy", "1.17"),
        ("scikit-learn", "1.9"),
        ("pandas", "3.1"),
    ]:
        assert OLDEST[name] < Version(below), f"{name} {OLDEST[name]}"


@pytest.mark.parametrize(
    "req",
    TESTED + EXTRAS["test"] + EXTRAS["slurm"] + EXTRAS["docs"],
    ids=str,
)
def test_constraints_pin_a_version_inside_each_range(req):
    name = canonicalize_name(req.name)
    assert name in CONSTRAINTS, f"{req.name} is missing from constraints.txt"
    assert req.specifier.contains(CONSTRAINTS[name], prereleases=True), (
        f"requirements/constraints.txt has {req.name}=={CONSTRAINTS[name]}, "
        f"outside pyproject.toml's {req.specifier}"
    )


def test_conda_environment_has_the_constraints_versions():
    env = yaml.safe_load((ROOT / "envs" / "emgmm.yaml").read_text())
    seen = set()
    for dep in env["dependencies"]:
        name, _, pinned = dep.partition("=")
        if name == "python":
            assert SpecifierSet(PYPROJECT["requires-python"]).contains(pinned)
            continue
        name = canonicalize_name(CONDA_NAMES.get(name, name))
        assert pinned, f"envs/emgmm.yaml: pin {name} to constraints.txt's version"
        assert Version(pinned) == CONSTRAINTS[name], (
            f"envs/emgmm.yaml has {name}={pinned}, "
            f"requirements/constraints.txt {CONSTRAINTS[name]}"
        )
        seen.add(name)
    # every dependency the rules' scripts import comes from conda
    needed = {canonicalize_name(r.name) for r in RUNTIME} - {"snakemake"}
    assert needed <= seen, f"missing from envs/emgmm.yaml: {sorted(needed - seen)}"


def test_readme_quick_start_installs_with_the_constraints():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Quick start")
    quick = readme[start : readme.index("\n## ", start + 1)]
    installs = re.findall(r"pip install [^&\n]*", quick)
    assert len(installs) >= 2, installs
    for cmd in installs:
        assert "-c requirements/constraints.txt" in cmd, cmd
    test_command = readme.split("<!-- test-command -->", 1)[1].splitlines()[2]
    assert "-c requirements/constraints.txt" in test_command
    assert "python -m pytest" in test_command


def test_running_python_is_supported():
    running = ".".join(map(str, sys.version_info[:3]))
    assert SpecifierSet(PYPROJECT["requires-python"]).contains(running)


@pytest.mark.parametrize("req", TESTED, ids=str)
def test_installed_version_is_inside_the_declared_range(req):
    # whichever environment runs the suite (3.11 with constraints.txt, 3.13
    # with oldest.txt) must be one pyproject.toml allows
    try:
        installed = version(req.name)
    except PackageNotFoundError:
        pytest.fail(f"{req.name} is not installed: pip install the project first")
    assert req.specifier.contains(installed, prereleases=True), (
        f"{req.name} {installed} is installed, pyproject.toml allows {req.specifier}"
    )

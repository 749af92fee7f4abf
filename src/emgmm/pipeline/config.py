"""Configuration checking with one-line messages.

The config schema ships with the package (``emgmm/config.schema.yaml``;
``workflow/schemas/config.schema.yaml`` is a link to it). It is the one place
for every bound a user can hit: the workflow validates its config against it
with :func:`snakemake.utils.validate` (which also fills in defaults), and
library functions that take the same settings (:func:`emgmm.pipeline.embed.umap_embed`)
check their arguments against the same entries with :func:`check_value`.

A jsonschema error is long and nested; :func:`validate_config` turns the most
relevant one into a single line naming the key, what is allowed and what was
given.
"""

import functools
from importlib import resources
from numbers import Integral, Real
from pathlib import Path

import yaml

from .. import InputError

__all__ = [
    "SCHEMA_PATH",
    "apply_overlays",
    "check_value",
    "describe_error",
    "definition",
    "parameter_schema",
    "read_config_file",
    "split_covariance_types",
    "validate_config",
    "validate_dataset",
]

SCHEMA_PATH = Path(str(resources.files(__package__) / "config.schema.yaml"))


# libyaml's loader where PyYAML was built with it (about 10x faster: the
# schema is read on every Snakemake start-up)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _load_schema(path):
    return yaml.load(Path(path).read_text(), Loader=_LOADER)


def _schema():
    return _load_schema(SCHEMA_PATH)


def read_config_file(path):
    r"""Read one YAML config file; a missing or invalid file is one line.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        The file's mapping (an empty file is an empty mapping).

    Raises
    ------
    InputError
        ``config file <path> does not exist ...``, or ``<path>:<line>:<column>:
        not valid YAML (<what the parser found>) ...``, or a file whose top
        level is not a mapping of keys.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "mine.yaml")
    >>> _ = open(path, "w").write("K: [2, 3\nseeds: [0]\n")
    >>> read_config_file(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    emgmm._errors.InputError: .../mine.yaml:2:6: not valid YAML (...
    """
    path = Path(path)
    if not path.is_file():
        where = "is a folder" if path.is_dir() else "does not exist"
        raise InputError(
            f"config file {path} {where} (looked in {Path.cwd()}); check its name, "
            "or run snakemake from the folder that holds it"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"config file {path} is not UTF-8 text (byte {err.start}); save it as UTF-8"
        ) from None
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(p for p in (err.context, err.problem) if p)
        lines = text.splitlines()
        line = lines[mark.line] if mark and mark.line < len(lines) else ""
        fix = (
            "indent with spaces: that line holds a tab"
            if "\t" in line
            else "fix that line (a list is [a, b] or one '- item' per line, "
            "and a key ends with ': ')"
        )
        raise InputError(f"{where}: not valid YAML ({what}); {fix}") from None
    except yaml.YAMLError as err:  # pragma: no cover - every parser error is marked
        raise InputError(f"{path}: not valid YAML ({err})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"config file {path} must hold keys such as 'datasets:' and 'K:' at "
            f"its top level, got a {type(data).__name__}"
        )
    return data


def apply_overlays(config, overlays):
    """Apply the workflow's rule for config files given on the command line.

    Snakemake reads ``config.yaml`` (the Snakefile's ``configfile:``) and
    merges every ``--configfile`` into it, key by key. That merge is right
    for settings (an overlay that says ``K: [3]`` changes K and keeps the
    rest) but not for the list of datasets: an overlay that names the user's
    own data would run ``config.yaml``'s ``digits`` as well. So the datasets
    run are those named by the *last* file that has a ``datasets`` key
    (``config.yaml`` when no overlay has one), each with its merged settings
    (an overlay may change one key of a dataset ``config.yaml`` names), and
    a dataset set to ``null`` is left out.

    Parameters
    ----------
    config : dict
        Snakemake's merged config; changed in place.
    overlays : list of dict
        The command line's config files, in order, as read by
        :func:`read_config_file`.

    Returns
    -------
    config : dict

    Examples
    --------
    >>> merged = {"datasets": {"digits": {"source": "digits"},
    ...                        "mine": {"source": "file", "path": "m.csv"}}}
    >>> overlay = {"datasets": {"mine": {"source": "file", "path": "m.csv"}}}
    >>> sorted(apply_overlays(merged, [overlay])["datasets"])
    ['mine']
    """
    datasets = config.get("datasets")
    if not isinstance(datasets, dict):
        return config  # the schema check names the problem
    named = [o["datasets"] for o in overlays if isinstance(o.get("datasets"), dict)]
    names = list(named[-1]) if named else list(datasets)
    config["datasets"] = {
        name: datasets[name] for name in names if datasets.get(name) is not None
    }
    return config


def definition(name):
    """The schema's ``$defs/<name>`` (e.g. ``"on_invalid"``, ``"dataset"``)."""
    return _schema()["$defs"][name]


def parameter_schema(definition, name):
    """The schema of one setting: ``$defs/<definition>/properties/<name>``.

    A ``$ref`` to another definition is resolved (one level, as the schema
    uses them).

    Examples
    --------
    >>> parameter_schema("umap_parameters", "n_neighbors")
    {'type': 'integer', 'minimum': 2}
    """
    spec = dict(_schema()["$defs"][definition]["properties"][name])
    ref = spec.pop("$ref", None)
    if ref is not None:
        spec = {**_schema()["$defs"][ref.rsplit("/", 1)[-1]], **spec}
    return spec


_SIGNS = {
    "minimum": ">=",
    "exclusiveMinimum": ">",
    "maximum": "<=",
    "exclusiveMaximum": "<",
}


def _bounds_text(spec):
    return " and ".join(f"{_SIGNS[k]} {spec[k]}" for k in _SIGNS if k in spec)


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "null": "None",
}


def _has_type(value, kind):
    if kind == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, Integral)
    if kind == "number":
        return isinstance(value, Real)
    return kind == "string" and isinstance(value, str)


def check_value(name, value, spec, fix):
    """Check ``value`` against a setting's schema ``spec``; return it.

    Handles what the schema's scalar settings use: ``type`` (integer, number,
    string, null, or a list of them), ``minimum``, ``exclusiveMinimum``,
    ``maximum``, ``exclusiveMaximum`` and ``minLength``.

    Parameters
    ----------
    name : str
        The parameter, for the message.
    value : object
        What was given.
    spec : dict
        Its schema, e.g. from :func:`parameter_schema`.
    fix : str
        How to fix it, the end of the message.

    Returns
    -------
    value : int, float, str or None
        ``value`` as the type the schema names (``int`` for integers).

    Raises
    ------
    InputError
        ``<name> must be <expectation>, got <value>; <fix>``.

    Examples
    --------
    >>> spec = parameter_schema("umap_parameters", "n_neighbors")
    >>> check_value("n_neighbors", 1, spec, "use 15")
    Traceback (most recent call last):
    ...
    emgmm._errors.InputError: n_neighbors must be >= 2, got 1; use 15
    """
    types = spec.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    bounds = _bounds_text(spec)
    kind = next((t for t in types if _has_type(value, t)), None)
    if kind is None:
        expected = " or ".join(_TYPE_WORDS[t] for t in types)
        if bounds:
            expected += f" {bounds}"
        raise InputError(f"{name} must be {expected}, got {value!r}; {fix}")
    if kind == "null":
        return None
    if kind == "string":
        if len(value) < spec.get("minLength", 0):
            raise InputError(f"{name} must not be empty, got {value!r}; {fix}")
        return value
    value = int(value) if kind == "integer" else float(value)
    inside = {
        "minimum": lambda b: value >= b,
        "exclusiveMinimum": lambda b: value > b,
        "maximum": lambda b: value <= b,
        "exclusiveMaximum": lambda b: value < b,
    }
    if not all(inside[k](spec[k]) for k in inside if k in spec):
        raise InputError(f"{name} must be {bounds}, got {value!r}; {fix}")
    return value


def _where(error, root):
    path = "/".join(str(p) for p in error.absolute_path)
    if root == "config":
        return f"config key '{path}'" if path else "config"
    return f"{root} key '{path}'" if path else root


def describe_error(error, root="config"):
    """One line for a :class:`jsonschema.ValidationError`.

    ``root`` names what was validated: ``"config"`` (keys are then named as
    ``config key 'a/b'``) or e.g. ``"dataset 'x'"``.
    """
    kind, where, value = error.validator, _where(error, root), error.instance
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        # A dataset's keys depend on its source: say which source it is.
        source = value.get("source") if "source" in allowed else None
        of = f" for source {source!r}" if source is not None else ""
        return (
            f"{where}: unknown key(s) {', '.join(map(repr, extra))}{of}; "
            f"allowed: {', '.join(allowed)}"
        )
    if kind == "enum":
        options = ", ".join(map(str, error.validator_value))
        return f"{where}: {value!r} is not allowed; use one of {options}"
    if kind == "contains":
        options = ", ".join(map(str, error.validator_value["enum"]))
        return f"{where}: must hold at least one of {options}, got {value!r}"
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where}: expected {expected}, got {value!r}"
    if kind in _SIGNS:
        return f"{where}: must be {_SIGNS[kind]} {error.validator_value}, got {value!r}"
    if kind == "minLength":
        return f"{where}: must not be empty, got {value!r}"
    if "propertyNames" in error.schema_path:
        return (
            f"{where}: dataset name {value!r} may hold only letters, digits, "
            "'_', '.' and '-'"
        )
    return f"{where}: {error.message}"


def _best_error(config, schema):
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(config))
    if not errors:
        return None
    # Report the deepest error: it names the key the user actually wrote.
    return max(
        jsonschema.exceptions.best_match(errors).context or errors,
        key=lambda e: len(e.absolute_path),
    )


def split_covariance_types(names):
    """Split ``covariance_types`` into scikit-learn's types and mclust's models.

    The scikit-learn types are those the schema's ``covariance_types``
    requires at least one of; every other name is an R mclust model.

    Parameters
    ----------
    names : list of str
        The config's ``covariance_types`` (validated).

    Returns
    -------
    sklearn_types, mclust_models : list of str
        Each in the config's order.

    Examples
    --------
    >>> split_covariance_types(["full", "VVV", "diag", "EEI"])
    (['full', 'diag'], ['VVV', 'EEI'])
    """
    sklearn = _schema()["properties"]["covariance_types"]["contains"]["enum"]
    return [n for n in names if n in sklearn], [n for n in names if n not in sklearn]


def validate_dataset(name, spec):
    """Check one dataset entry against the schema's ``$defs/dataset``.

    The keys a dataset may have depend on its source; a key of another
    source is an error naming the key and the source.

    Raises
    ------
    InputError
        One line, e.g. ``dataset 'd': unknown key(s) 'n_samples' for source
        'digits'; allowed: on_duplicates, on_invalid, source, umap``.
    """
    schema = {**definition("dataset"), "$defs": _schema()["$defs"]}
    error = _best_error(spec, schema)
    if error is not None:
        raise InputError(describe_error(error, root=f"dataset {name!r}"))


def validate_config(config, schema_path=SCHEMA_PATH):
    """Validate ``config`` in place (filling defaults) or raise a one-line error.

    Parameters
    ----------
    config : dict
        The workflow's config.
    schema_path : str or Path, default=SCHEMA_PATH
        The JSON schema (YAML): the package's.

    Raises
    ------
    InputError
        With one line naming the offending key.
    """
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    try:
        validate(config, str(schema_path), set_default=True)
    except WorkflowError:
        # jsonschema's message is long and nested: report the one error
        # that names the key the user wrote
        error = _best_error(config, _load_schema(schema_path))
        if error is None:  # pragma: no cover - the two validators disagree
            raise
        raise InputError(describe_error(error)) from None
    return config


def main(argv=None):
    """Check config files as the workflow reads them; ``python -m`` entry point.

    ``python -m emgmm.pipeline.config config.yaml mine.yaml`` reads each file (a YAML
    mistake is named with its line and column), merges them as Snakemake
    does, applies :func:`apply_overlays` and validates the result: the same
    checks as ``snakemake --configfile config.yaml mine.yaml``, before
    Snakemake reads the files itself (it names neither the file nor the line
    of a YAML mistake in a ``--configfile``).

    Returns
    -------
    int
        0 when the config is valid, 1 (with one line on stderr) if not.
    """
    import sys

    from snakemake.utils import update_config

    paths = list(sys.argv[1:] if argv is None else argv) or ["config.yaml"]
    try:
        files = [read_config_file(path) for path in paths]
        config = {}
        for data in files:
            update_config(config, data)
        validate_config(apply_overlays(config, files[1:]))
    except InputError as err:
        print(f"emgmm: config error: {err}", file=sys.stderr)
        return 1
    print(f"emgmm: config ok: datasets {', '.join(config['datasets'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

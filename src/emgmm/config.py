"""Configuration checking with one-line messages.

The workflow validates its config against ``workflow/schemas/config.schema.yaml``
with :func:`snakemake.utils.validate` (which also fills in defaults). A
jsonschema error is long and nested; :func:`validate_config` turns the most
relevant one into a single line naming the key, what is allowed and what was
given.
"""

from pathlib import Path

import jsonschema
import yaml

from ._errors import InputError

__all__ = ["describe_error", "validate_config"]


def _where(error):
    path = "/".join(str(p) for p in error.absolute_path)
    return f"config key '{path}'" if path else "config"


def describe_error(error):
    """One line for a :class:`jsonschema.ValidationError`."""
    kind, where, value = error.validator, _where(error), error.instance
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        return (
            f"{where}: unknown key(s) {', '.join(map(repr, extra))}; "
            f"allowed: {', '.join(allowed)}"
        )
    if kind == "enum":
        options = ", ".join(map(str, error.validator_value))
        return f"{where}: {value!r} is not allowed; use one of {options}"
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where}: expected {expected}, got {value!r}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        sign = {
            "minimum": ">=",
            "exclusiveMinimum": ">",
            "maximum": "<=",
            "exclusiveMaximum": "<",
        }[kind]
        return f"{where}: must be {sign} {error.validator_value}, got {value!r}"
    if "propertyNames" in error.schema_path:
        return (
            f"{where}: dataset name {value!r} may hold only letters, digits, "
            "'_', '.' and '-'"
        )
    return f"{where}: {error.message}"


def _best_error(config, schema):
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(config))
    if not errors:
        return None
    # Report the deepest error: it names the key the user actually wrote.
    return max(
        jsonschema.exceptions.best_match(errors).context or errors,
        key=lambda e: len(e.absolute_path),
    )


def validate_config(config, schema_path):
    """Validate ``config`` in place (filling defaults) or raise a one-line error.

    Parameters
    ----------
    config : dict
        The workflow's config.
    schema_path : str or Path
        The JSON schema (YAML).

    Raises
    ------
    InputError
        With one line naming the offending key.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    error = _best_error(config, schema)
    if error is not None:
        raise InputError(describe_error(error))
    from snakemake.utils import validate

    validate(config, str(schema_path), set_default=True)
    return config

"""The rules an option's value must follow, as JSON schema, and the schema file they make.

`RULES` gives each field of `Options` a `Rule`: the JSON schema of one value and the same
rule in words for error messages. `options.json_schema()` assembles them into the schema of
[tool.quatrain], shipped as resources/quatrain.schema.json for editors and validate-pyproject
(entry point `get_schema`); a test keeps the file equal to it. Regenerate it with
`python -m quatrain.settings > src/quatrain/settings/resources/quatrain.schema.json`.

Every layer (pyproject, environment, flags) checks its values with `problem`, a real JSON
schema validator (Draft 7) over these same rules, so a value is refused the same way
wherever it comes from.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Literal, get_args

import jsonschema  # type: ignore[import-untyped]  # no stubs in the test extra yet
from packaging.version import InvalidVersion, Version

# The closed sets of names an option may take: the options' types and their rules below.
BuildFlavor = Literal["auto", "slim", "full"]
DebianRelease = Literal["trixie", "bookworm"]
Serve = Literal[
    "auto",
    "django",
    "dash",
    "streamlit",
    "sanic",
    "aiohttp",
    "asgi",
    "flask",
    "celery",
    "console-script",
    "module",
    "command",
]
EngineKind = Literal["docker", "podman"]
# What builds: an engine from a Dockerfile, or none (the daemonless assembler, production only).
Builder = Literal["docker", "podman", "none"]

SCHEMA_FILE = "quatrain.schema.json"
DRAFT = "http://json-schema.org/draft-07/schema#"

# Python's `$` also matches before a final newline, so an anchored pattern alone lets
# "3.12\n" through; every string also refuses control characters (newline, NUL, ESC, ...).
_NO_CONTROL = {"not": {"type": "string", "pattern": "[\\u0000-\\u001f\\u007f]"}}

PYTHON_MINOR = r"^3\.(0|[1-9][0-9]*)$"
# PEP 440 release versions as installers take them (no epoch, no local part, no `v`); the
# "pep440" format adds packaging's own parse on top (validate-pyproject knows the format too).
RELEASE_VERSION = r"^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$"
# PEP 508 names (extras, groups, sources), compared normalized as PEP 685 says.
NAME = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"
DEBIAN_PACKAGE = r"^[a-z0-9][a-z0-9+.-]+$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
LABEL_KEY = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
USER_NAME = r"^[a-z_][a-z0-9_-]{0,31}$"
NETWORK = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
BUILDER = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# A module path and an optional `:object` (anything on one line), or a console script.
APP = r"^[A-Za-z_][A-Za-z0-9_.-]*(:.+)?$"

# The OCI distribution reference grammar (github.com/distribution/reference, regexp.go).
_DOMAIN_COMPONENT = r"([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"({_DOMAIN_COMPONENT}(\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(:[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = rf"({_DOMAIN}/)?{_PATH_COMPONENT}(/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
IMAGE_REPOSITORY = rf"^{_REPOSITORY}$"
IMAGE_REFERENCE = rf"^{_REPOSITORY}(:{_TAG})?(@{_DIGEST})?$"
# Where the daemonless build (engine none) may also read its base image: an OCI layout, or the
# local engine's store; a Dockerfile's FROM takes none of these.
IMAGE_SOURCE = (
    rf"^((docker-daemon|containers-storage):)?{IMAGE_REFERENCE[1:-1]}$"
    r"|^oci:[A-Za-z0-9._/+@=,~-]+(:[A-Za-z0-9._/-]+)?$"
)


@dataclass(frozen=True)
class Rule:
    """What one option's value must be: JSON schema for validators, words for people."""

    schema: Mapping[str, Any]
    expected: str  # completes "(expected ...)" in an error message
    # Why pyproject.toml may not set it (only the environment and the flags may); "": it may.
    not_in_pyproject_because: str = ""

    @property
    def in_pyproject(self) -> bool:
        return not self.not_in_pyproject_because

    @property
    def kind(self) -> str:
        """The JSON type, which says how a string from a variable or flag is read."""
        return str(self.schema.get("type", "string"))  # an enum is of strings

    @property
    def metavar(self) -> str:
        if "enum" in self.schema:
            return "[" + "|".join(self.schema["enum"]) + "]"
        return {"integer": "INTEGER", "boolean": "BOOLEAN", "array": "WORDS"}.get(
            self.kind, "KEY=VALUE..." if self.kind == "object" else "TEXT"
        )


def _string(pattern: str | None = None) -> dict[str, Any]:
    """A string on one line; `pattern`, when given, is its grammar."""
    grammar = {"pattern": pattern} if pattern else {}
    return {"type": "string", **grammar, **_NO_CONTROL}


def text(pattern: str | None, expected: str, *, not_in_pyproject_because: str = "") -> Rule:
    """A string by `pattern`, or any non-empty text on one line when `pattern` is None."""
    schema = _string(pattern) if pattern else {**_string(), "minLength": 1}
    return Rule(schema, expected, not_in_pyproject_because)


def version(expected: str = "a release version by PEP 440, e.g. 2.1.3") -> Rule:
    return Rule({**_string(RELEASE_VERSION), "format": "pep440"}, expected)


def whole(minimum: int, maximum: int | None = None, *, expected: str) -> Rule:
    bounds = {"minimum": minimum} if maximum is None else {"minimum": minimum, "maximum": maximum}
    return Rule({"type": "integer", **bounds}, expected)


def flag() -> Rule:
    return Rule({"type": "boolean"}, "true or false")


def choice(*values: str) -> Rule:
    return Rule({"enum": list(values)}, "one of " + ", ".join(repr(v) for v in values))


def words(item_pattern: str | None, expected: str, *, min_items: int = 0) -> Rule:
    """A list of strings by `item_pattern`, or of any text on one line when it is None."""
    schema = {"type": "array", "items": _string(item_pattern)}
    return Rule({**schema, "minItems": min_items} if min_items else schema, expected)


def table(key_pattern: str, expected: str) -> Rule:
    """A TOML table of strings; values are one line of text."""
    schema = {
        "type": "object",
        "propertyNames": _string(key_pattern),
        "additionalProperties": _string(),
    }
    return Rule(schema, expected)


# --- the rules, by Options field -------------------------------------------------------------

_IMAGE = text(
    IMAGE_REFERENCE,
    "an image reference such as registry.example.org/team/python:3.12-slim or "
    "python@sha256:<digest>, without whitespace, quotes or $",
)
_NAMES = words(
    NAME,
    "a list of names by PEP 508: letters, digits, '.', '_' and '-', starting and ending "
    "with a letter or a digit",
)
_PACKAGES = words(
    DEBIAN_PACKAGE,
    "a list of Debian package names: lowercase letters, digits, '+', '.' and '-', starting "
    "with a letter or a digit",
)
_COMMAND = "a list of arguments, each on one line"
_VARIABLES = table(
    ENV_NAME,
    "a table of NAME = value, names of letters, digits and '_' not starting with a digit, "
    "values on one line",
)
_MACHINES_OWN = "a repository must not choose what runs on your machine"
_AT_LEAST_ONE = whole(1, expected="a whole number, at least 1")

RULES: Mapping[str, Rule] = {
    "python_version": text(PYTHON_MINOR, "a Python version 3.N, e.g. 3.12"),
    "debian_release": choice(*get_args(DebianRelease)),
    "build_flavor": choice(*get_args(BuildFlavor)),
    "base_image": _IMAGE,
    "runtime_image": text(
        IMAGE_SOURCE,
        "an image reference such as registry.example.org/team/python:3.12-slim or "
        "python@sha256:<digest>, without whitespace, quotes or $; with engine = none also "
        "oci:DIR[:REF], docker-daemon:REFERENCE or containers-storage:REFERENCE",
    ),
    "poetry_version": version(),
    "poetry_plugin_export_version": version(),
    "uv_version": version(),
    "serve": choice(*get_args(Serve)),
    "app": text(APP, "a module:object such as pkg:create_app(), or a console script, on one line"),
    "command": words(None, "a non-empty " + _COMMAND, min_items=1),
    "ca_bundle": text(None, "a file path on one line"),
    "keep_ca_bundle": flag(),
    "private_sources": _NAMES,
    "extras": _NAMES,
    "groups": _NAMES,
    "test_command": words(None, _COMMAND + "; an empty list: no test stage"),
    "lint_command": words(None, _COMMAND + "; an empty list: no lint stage"),
    "gate": flag(),
    "port": whole(1, 65535, expected="a whole number from 1 to 65535"),
    "workers": _AT_LEAST_ONE,
    "threads": _AT_LEAST_ONE,
    "access_log": flag(),
    "image_name": text(
        IMAGE_REPOSITORY,
        "an image repository such as registry.example.org/team/shop: lowercase, no tag",
    ),
    "user": text(
        USER_NAME,
        "a user name: a lowercase letter or '_', then up to 31 lowercase letters, digits, "
        "'_' or '-'",
    ),
    # Root is refused outright: an image that must run as root can say so in its own
    # Dockerfile, and no option quietly turns the production image's user into root.
    "uid": whole(
        1,
        2147483647,
        expected="a user id from 1 to 2147483647; 0 is root, and the production image never "
        "runs as root",
    ),
    "env": _VARIABLES,
    "labels": table(
        LABEL_KEY,
        "a table of key = value, keys of letters, digits, '.', '_', '/' and '-' starting with "
        "a letter or a digit, values on one line",
    ),
    "apt_packages": _PACKAGES,
    "build_apt_packages": _PACKAGES,
    "build_args": _VARIABLES,
    "build_env": dataclasses.replace(
        _VARIABLES,
        not_in_pyproject_because="pyproject.toml is committed and copied into both images, "
        "where a secret is no secret",
    ),
    # A closed set that names no program: which binary runs stays the user's (docker below).
    "engine": choice(*get_args(Builder)),
    # A program run on the user's machine: the repository being built must not choose it.
    "docker": text(
        None, "a program name or path on one line", not_in_pyproject_because=_MACHINES_OWN
    ),
    "network": text(NETWORK, "a network name such as host or bridge"),
    # Where the engine pushes, with the user's login, and a builder of theirs: the user's
    # choice, not the repository's.
    "cache_ref": text(
        IMAGE_REPOSITORY,
        "a registry repository such as registry.example.org/team/shop-cache: lowercase, no tag",
        not_in_pyproject_because=_MACHINES_OWN,
    ),
    "builder": text(
        BUILDER,
        "a buildx builder name: letters, digits, '_', '.' and '-'",
        not_in_pyproject_because=_MACHINES_OWN,
    ),
    "syntax": _IMAGE,
    "compose": flag(),
}


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("pep440", raises=InvalidVersion)  # type: ignore[untyped-decorator]
def _is_pep440(value: object) -> bool:
    return not isinstance(value, str) or bool(Version(value))


@functools.cache
def _validator(schema_text: str) -> Any:
    return jsonschema.Draft7Validator(json.loads(schema_text), format_checker=_FORMATS)


@dataclass(frozen=True)
class Problem:
    culprit: Any  # the part of the value that breaks the rule: the value, an item or a key
    whole: bool  # the culprit is the value itself


def problem(rule: Rule, value: Any) -> Problem | None:
    """Why `value` breaks `rule`, or None; `value` is plain JSON (lists, dicts)."""
    validator = _validator(json.dumps({"$schema": DRAFT, **rule.schema}, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    return Problem(culprit=error.instance, whole=error.instance is value)


def document(
    definitions: Mapping[str, Mapping[str, Any]], in_pyproject: list[str]
) -> dict[str, Any]:
    """The schema of [tool.quatrain]: every option's rule under `definitions`, and a property
    for each one that pyproject.toml may set (the others are refused, as unknown keys are)."""
    return {
        "$schema": DRAFT,
        "$id": "https://quatrain.invalid/schema/tool.quatrain.json",
        "title": "[tool.quatrain] in pyproject.toml",
        "type": "object",
        "additionalProperties": False,
        "properties": {key: {"$ref": f"#/definitions/{key}"} for key in in_pyproject},
        "definitions": copy.deepcopy(dict(definitions)),
    }


def get_schema(tool_name: str = "quatrain") -> dict[str, Any]:
    """The shipped schema, for validate-pyproject's tool_schema entry point."""
    text_ = (
        files("quatrain.settings")
        .joinpath("resources")
        .joinpath(SCHEMA_FILE)
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text_)
    return schema

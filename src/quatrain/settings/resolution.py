"""The one layered lookup that resolves every option, weakest first: the defaults on `Options`,
`[tool.quatrain]` in pyproject.toml, `QUATRAIN_*` environment variables, command-line flags.

TOML values must already be of the rule's type; a variable or a flag is a string, read as the
rule's type first (a number, true/false, shell words, KEY=VALUE words), then validated by the
same rule, so every layer refuses a value with the same message naming where it was written.
"""

from __future__ import annotations

import difflib
import re
import shlex
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from quatrain.errors import ConfigurationError
from quatrain.settings import schema
from quatrain.settings.options import (
    ENV_PREFIX,
    FIELDS,
    Options,
    Source,
    is_secret,
    option_key,
    plain,
    rule,
)


@dataclass(frozen=True, kw_only=True)
class ResolvedOptions:
    options: Options
    sources: Mapping[str, Source]  # field name -> the layer its value came from


def resolve(
    *,
    pyproject: Mapping[str, Any],
    env: Mapping[str, str],
    cli: Mapping[str, Any],
) -> ResolvedOptions:
    """Merge the layers; `pyproject` is the [tool.quatrain] table, `cli` maps field names."""
    layers: list[tuple[Source, dict[str, Any]]] = [
        ("pyproject", _from_pyproject(pyproject)),
        ("env", _from_env(env)),
        ("flag", {k: v for k, v in cli.items() if v is not None}),
    ]
    values: dict[str, Any] = {}
    sources: dict[str, Source] = dict.fromkeys(FIELDS, "default")
    for source, layer in layers:
        for name, raw in layer.items():
            values[name] = checked(name, raw, source)
            sources[name] = source
    return ResolvedOptions(options=Options(**values), sources=types.MappingProxyType(sources))


def _from_pyproject(table: Mapping[str, Any]) -> dict[str, Any]:
    known = {option_key(name): name for name in FIELDS if rule(name).in_pyproject}
    refused = {option_key(name): name for name in FIELDS if not rule(name).in_pyproject}
    values = {}
    for key, value in table.items():
        if key in refused:
            msg = (
                f"[tool.quatrain] {key}: not read from pyproject.toml, since "
                f"{rule(refused[key]).not_in_pyproject_because}. Set "
                f"{where(refused[key], 'env')} or pass {where(refused[key], 'flag')}."
            )
            raise ConfigurationError(msg)
        if key not in known:
            msg = f"Option '{key}' is not supported in [tool.quatrain].{_suggest(key, known)}"
            raise ConfigurationError(msg)
        values[known[key]] = value
    return values


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    known = {ENV_PREFIX + name.upper(): name for name in FIELDS}
    values = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key in _ENV_NOT_OPTIONS:
            continue
        if key not in known:
            msg = f"Environment variable {key} is not a quatrain option.{_suggest(key, known)}"
            raise ConfigurationError(msg)
        values[known[key]] = value
    return values


# Variables quatrain reads that are not options of the image.
_ENV_NOT_OPTIONS = frozenset({"QUATRAIN_DEBUG_TRACEBACK", "QUATRAIN_DEBUG_KEEP_CONTAINER"})


def _suggest(key: str, known: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" Perhaps you meant '{close[0]}'?" if close else ""


def where(name: str, source: Source) -> str:
    """How the user wrote the option: `[tool.quatrain] port`, `QUATRAIN_PORT`, `--port`."""
    if source == "env":
        return ENV_PREFIX + name.upper()
    if source == "flag":
        return "--" + option_key(name)
    return "[tool.quatrain] " + option_key(name)


def checked(name: str, raw: Any, source: Source) -> Any:
    """The value of one option from one layer, validated by its rule; else a
    ConfigurationError naming the layer and key, the value and the rule."""
    option_rule = rule(name)
    value = plain(raw) if source == "pyproject" else _read(option_rule.kind, raw)
    found = schema.problem(option_rule, value)
    if found is None:  # JSON's integers include 8000.0; an Options int is an int
        return int(value) if option_rule.kind == "integer" else value
    if is_secret(name):
        shown = _secret_culprit(name, value, found)
    else:
        culprit = "" if found.whole else f"{found.culprit!r} in "
        shown = _masked(f"{culprit}{raw!r}")
    msg = (
        f"{where(name, source)}: {shown} is not a valid {option_key(name)} "
        f"(expected {option_rule.expected})."
    )
    raise ConfigurationError(msg)


def _secret_culprit(name: str, value: Any, found: schema.Problem) -> str:
    """Which part of a secret option is wrong, without a character of any value: an error
    goes to terminals and CI logs, where a secret must never be."""
    if isinstance(value, dict):
        for key, item in value.items():
            if item is found.culprit or item == found.culprit:
                return f"the value of {key!r} (not shown: {option_key(name)} values are secrets)"
        if isinstance(found.culprit, str) and found.culprit in value:
            return f"the name {found.culprit!r}"
    return "its text (not shown: it may hold a secret; give NAME=value pairs)"


# `user:password@` in a value that names a registry or a URL: the error shows the rest.
_CREDENTIALS = re.compile(r"([^\s:/@'\"]+):[^\s/@'\"]+@")


def _masked(text: str) -> str:
    return _CREDENTIALS.sub(r"\1:***@", text)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _read(kind: str, raw: Any) -> Any:
    """A variable's or a flag's string as the rule's JSON type; when it does not read as one,
    the string itself, for the rule to refuse. A caller's typed value is taken as it is."""
    if not isinstance(raw, str):
        return plain(raw)
    # At most 19 digits: int() refuses a string of thousands of them with a ValueError.
    if kind == "integer" and re.fullmatch(r"\s*[+-]?[0-9]{1,19}\s*", raw):
        return int(raw)
    if kind == "boolean" and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    if kind in ("array", "object"):
        try:
            words = shlex.split(raw)  # "libpq5 curl", "A=1 B='two words'"
        except ValueError:  # an unbalanced quote
            return raw
        return words if kind == "array" else _key_values(words, raw)
    return raw


def _key_values(words: list[str], raw: str) -> dict[str, str] | str:
    pairs = [word.partition("=") for word in words]
    if not all(key and sep for key, sep, _ in pairs):
        return raw
    return {key: value for key, _, value in pairs}

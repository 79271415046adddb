"""Every option, one name everywhere, and the one layered lookup that resolves it.

Precedence, weakest first: the defaults on `Options`, `[tool.quatrain]` in pyproject.toml,
`QUATRAIN_*` environment variables, command-line flags. The TOML key `base-image` is the
variable `QUATRAIN_BASE_IMAGE`, the flag `--base-image` and the field `base_image`.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from quatrain.errors import ConfigurationError

BuildFlavor = Literal["auto", "slim", "full"]
Source = Literal["default", "pyproject", "env", "flag"]
ENV_PREFIX = "QUATRAIN_"


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, kw_only=True)
class Options:
    """The resolved options; each field's `help` is reused for --help and `inspect`."""

    python_version: str | None = field(
        default=None,
        metadata=_help(
            "Python X.Y of the images; default: the newest official release that "
            "satisfies the project's Python constraint."
        ),
    )
    debian_release: str = field(
        default="trixie", metadata=_help("Debian release of the official images: trixie, bookworm.")
    )
    build_flavor: BuildFlavor = field(
        default="auto",
        metadata=_help(
            "Image of the staging and build stages: slim, full (with compilers), or auto "
            "(full when a locked dependency has no wheel)."
        ),
    )
    poetry_version: str | None = field(
        default=None,
        metadata=_help("Poetry in the image; default: the one named in poetry.lock's header."),
    )
    poetry_plugin_export_version: str = field(
        default="1.10.1", metadata=_help("poetry-plugin-export in the image.")
    )
    app: str | None = field(
        default=None,
        metadata=_help("What the server loads, e.g. 'pkg:create_app()'; default: detected."),
    )
    port: int = field(default=8888, metadata=_help("Default $PORT the servers listen on."))
    workers: int = field(
        default=2, metadata=_help("Default gunicorn workers ($WEB_CONCURRENCY at run time).")
    )
    threads: int = field(default=4, metadata=_help("gunicorn threads per worker."))
    image_name: str | None = field(
        default=None,
        metadata=_help(
            "Repository of the images: NAME:latest (production), NAME:development; "
            "default: the project's name."
        ),
    )
    uid: int = field(default=10001, metadata=_help("User id the production image runs as."))
    docker: str = field(
        default="docker", metadata=_help("The docker binary to drive (a path or a name on PATH).")
    )
    network: str | None = field(
        default=None, metadata=_help("Network for build and run steps, e.g. host.")
    )
    syntax: str | None = field(
        default=None,
        metadata=_help(
            "Frontend image for a `# syntax=` line, e.g. docker/dockerfile:1; default: none, "
            "so the engine's built-in frontend is used and nothing is pulled."
        ),
    )


FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Options)}


def option_key(field_name: str) -> str:
    """`base_image` -> `base-image`, the spelling in TOML and on the command line."""
    return field_name.replace("_", "-")


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
            values[name] = _coerce(name, raw, source)
            sources[name] = source
    return ResolvedOptions(options=Options(**values), sources=sources)


def _from_pyproject(table: Mapping[str, Any]) -> dict[str, Any]:
    known = {option_key(name): name for name in FIELDS}
    values = {}
    for key, value in table.items():
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


def _coerce(name: str, raw: Any, source: Source) -> Any:
    hint = typing.get_type_hints(Options)[name]
    allowed = _non_none_types(hint)
    if raw is None and type(None) in _all_types(hint):
        return None
    for kind in allowed:
        value = _coerce_to(kind, raw)
        if value is not _NO:
            return value
    where = {"pyproject": "[tool.quatrain]", "env": ENV_PREFIX + name.upper(), "flag": "--"}
    label = where[source] + (option_key(name) if source == "flag" else "")
    msg = f"{label}: {raw!r} is not a valid {option_key(name)} (expected {_describe(allowed)})."
    raise ConfigurationError(msg)


_NO = object()


def _coerce_to(kind: Any, raw: Any) -> Any:
    if typing.get_origin(kind) is Literal:
        return raw if raw in typing.get_args(kind) else _NO
    if kind is int:
        if isinstance(raw, bool):
            return _NO
        if isinstance(raw, int):
            return raw
        if not (isinstance(raw, str) and raw.strip().isdigit()):
            return _NO  # whole numbers only: no signs, no fractions
        try:
            return int(raw)
        except ValueError:  # "8²" is a digit to str.isdigit() but not to int()
            return _NO
    if kind is str:
        return raw if isinstance(raw, str) and raw else _NO
    return _NO  # pragma: no cover - a field type this module does not know yet


def _all_types(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _non_none_types(hint: Any) -> tuple[Any, ...]:
    return tuple(t for t in _all_types(hint) if t is not type(None))


def _describe(kinds: tuple[Any, ...]) -> str:
    names = []
    for kind in kinds:
        if typing.get_origin(kind) is Literal:
            names.append(" | ".join(repr(a) for a in typing.get_args(kind)))
        else:
            names.append({int: "a whole number", str: "a non-empty string"}.get(kind, str(kind)))
    return " or ".join(names)

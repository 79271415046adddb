"""Every option, one name everywhere, and the one layered lookup that resolves it.

Precedence, weakest first: the defaults on `Options`, `[tool.quatrain]` in pyproject.toml,
`QUATRAIN_*` environment variables, command-line flags. The TOML key `base-image` is the
variable `QUATRAIN_BASE_IMAGE`, the flag `--base-image` and the field `base_image`.
"""

from __future__ import annotations

import dataclasses
import difflib
import shlex
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from quatrain.errors import ConfigurationError

BuildFlavor = Literal["auto", "slim", "full"]
Serve = Literal["auto", "flask", "asgi", "django", "console-script"]
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
    base_image: str | None = field(
        default=None,
        metadata=_help(
            "Image of the staging and build stages; default: the official python image "
            "chosen by python-version, debian-release and build-flavor."
        ),
    )
    runtime_image: str | None = field(
        default=None,
        metadata=_help("Image of the production stage; default: the official slim python image."),
    )
    poetry_version: str | None = field(
        default=None,
        metadata=_help("Poetry in the image; default: the one named in poetry.lock's header."),
    )
    poetry_plugin_export_version: str = field(
        default="1.10.1", metadata=_help("poetry-plugin-export in the image.")
    )
    uv_version: str = field(
        default="0.13.9",
        metadata=_help("uv in the build stages, which installs Poetry and the dependencies."),
    )
    serve: Serve = field(
        default="auto",
        metadata=_help(
            "How the project is served: auto (detected), flask, asgi, django, console-script."
        ),
    )
    app: str | None = field(
        default=None,
        metadata=_help(
            "What the server loads, e.g. 'pkg:create_app()', or the console script to run; "
            "default: detected."
        ),
    )
    command: list[str] | None = field(
        default=None,
        metadata=_help("The production image's command, replacing the detected server command."),
    )
    ca_bundle: str | None = field(
        default=None,
        metadata=_help(
            "A CA bundle (PEM file on this machine) that pip, Poetry and apt trust during the "
            "build, e.g. a corporate proxy's; passed as a BuildKit secret."
        ),
    )
    keep_ca_bundle: bool = field(
        default=False,
        metadata=_help("Also install ca-bundle into the production image's trust store."),
    )
    private_sources: list[str] = field(
        default_factory=list,
        metadata=_help(
            "Poetry sources that need credentials (also every source whose credentials are "
            "set); they reach the build as BuildKit secrets, never in a layer."
        ),
    )
    extras: list[str] = field(
        default_factory=list, metadata=_help("Extras installed in both images.")
    )
    groups: list[str] = field(
        default_factory=list,
        metadata=_help(
            "Dependency groups installed in production besides main (development has every "
            "non-optional group, and these)."
        ),
    )
    test_command: list[str] | None = field(
        default=None,
        metadata=_help(
            "Command of the `test` stage, run in the development environment; default: pytest "
            "when the project locks it."
        ),
    )
    lint_command: list[str] | None = field(
        default=None,
        metadata=_help(
            "Command of the `lint` stage; default: `ruff check .` when the project locks ruff."
        ),
    )
    gate: bool = field(
        default=False,
        metadata=_help(
            "Make the production build run the test and lint stages and fail with them."
        ),
    )
    port: int = field(default=8888, metadata=_help("Default $PORT the servers listen on."))
    workers: int = field(
        default=2, metadata=_help("Default gunicorn workers ($WEB_CONCURRENCY at run time).")
    )
    threads: int = field(default=4, metadata=_help("gunicorn threads per worker."))
    access_log: bool = field(
        default=False,
        metadata=_help(
            "The production server logs every request to stdout. Off by default, as in "
            "gunicorn: the platform in front usually logs requests, and the line a request "
            "costs halved requests/s in bench/. At run time: "
            "GUNICORN_CMD_ARGS=--access-logfile=-."
        ),
    )
    image_name: str | None = field(
        default=None,
        metadata=_help(
            "Repository of the images: NAME:latest (production), NAME:development; "
            "default: the project's name."
        ),
    )
    user: str = field(default="app", metadata=_help("Name of the production image's user."))
    uid: int = field(default=10001, metadata=_help("User id the production image runs as."))
    env: dict[str, str] = field(
        default_factory=dict, metadata=_help("Environment variables set in both images.")
    )
    labels: dict[str, str] = field(
        default_factory=dict,
        metadata=_help("Image labels, added to (and overriding) the OCI labels from metadata."),
    )
    apt_packages: list[str] = field(
        default_factory=list, metadata=_help("Debian packages installed in the production image.")
    )
    build_apt_packages: list[str] = field(
        default_factory=list,
        metadata=_help("Debian packages for the staging, development and build stages."),
    )
    build_args: dict[str, str] = field(
        default_factory=dict, metadata=_help("Build arguments passed to every build.")
    )
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
    allowed = non_none_types(hint)
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
    origin = typing.get_origin(kind)
    if origin is list:
        return _to_list(raw)
    if origin is dict:
        return _to_dict(raw)
    if origin is Literal:
        return raw if raw in typing.get_args(kind) else _NO
    if kind is bool:
        return _to_bool(raw)
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


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _to_bool(raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    return _NO


def _to_list(raw: Any) -> Any:
    """A TOML array of strings, or one string split like a shell line ("libpq5 curl")."""
    if isinstance(raw, str):
        return _split(raw)
    if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        return list(raw)
    return _NO


def _split(raw: str) -> Any:
    try:
        return shlex.split(raw)
    except ValueError:  # an unbalanced quote
        return _NO


def _to_dict(raw: Any) -> Any:
    """A TOML table of strings, or one string of KEY=VALUE words ("A=1 B='two words'")."""
    if isinstance(raw, Mapping) and all(isinstance(v, str | int | bool) for v in raw.values()):
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in raw.items()}
    if not isinstance(raw, str):
        return _NO
    words = _split(raw)
    if words is _NO:
        return _NO
    pairs = [word.partition("=") for word in words]
    if not all(key and sep for key, sep, _ in pairs):
        return _NO
    return {key: value for key, _, value in pairs}


def _all_types(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def non_none_types(hint: Any) -> tuple[Any, ...]:
    return tuple(t for t in _all_types(hint) if t is not type(None))


def _describe(kinds: tuple[Any, ...]) -> str:
    names = []
    for kind in kinds:
        if typing.get_origin(kind) is Literal:
            names.append(" | ".join(repr(a) for a in typing.get_args(kind)))
        else:
            described = {
                int: "a whole number",
                str: "a non-empty string",
                bool: "true or false",
            }.get(kind)
            if described is None:
                origin = typing.get_origin(kind)
                described = "a list of strings" if origin is list else "a table of KEY=VALUE"
            names.append(described)
    return " or ".join(names)

"""Every option, one name everywhere, one rule each: the fields of `Options`, their help, and
the JSON schema of [tool.quatrain] made from them. `settings.resolution` reads them from their
layers.

The TOML key `base-image` is the variable `QUATRAIN_BASE_IMAGE`, the flag `--base-image` and the
field `base_image`. Each field has its `Rule` in `settings.schema.RULES`: the JSON schema that
every layer's value is validated by.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from quatrain.settings import schema
from quatrain.settings.schema import Builder, BuildFlavor, DebianRelease, EngineKind, Rule, Serve

Source = Literal["default", "pyproject", "env", "flag"]
ENV_PREFIX = "QUATRAIN_"


def _help(text: str, *, secret: bool = False) -> dict[str, Any]:
    return {"help": text, "secret": True} if secret else {"help": text}


@dataclass(frozen=True, kw_only=True)
class Options:
    """The resolved options, immutable: lists are tuples, tables read-only mappings. Each
    field's `help` is reused for --help and `inspect`; its rule is `schema.RULES[name]`."""

    python_version: str | None = field(
        default=None,
        metadata=_help(
            "Python X.Y of the images; default: the newest official release that "
            "satisfies the project's Python constraint."
        ),
    )
    debian_release: DebianRelease = field(
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
    poetry_plugin_export_version: str | None = field(
        default=None,
        metadata=_help(
            "poetry-plugin-export in the image; default: the newest release that accepts the "
            "image's Poetry."
        ),
    )
    uv_version: str = field(
        default="0.13.9",
        metadata=_help("uv in the build stages, which installs Poetry and the dependencies."),
    )
    serve: Serve = field(
        default="auto",
        metadata=_help(
            "How the project is served: auto (detected), or a detector: "
            + ", ".join(typing.get_args(Serve)[1:])
            + "."
        ),
    )
    app: str | None = field(
        default=None,
        metadata=_help(
            "What the server loads, e.g. 'pkg:create_app()', or the console script to run; "
            "default: detected."
        ),
    )
    command: tuple[str, ...] | None = field(
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
    private_sources: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "Poetry sources that need credentials; they reach the build as BuildKit secrets, "
            "never in a layer. Only these: credentials in the environment add none, so init "
            "writes the same Dockerfile for everyone."
        ),
    )
    extras: tuple[str, ...] = field(default=(), metadata=_help("Extras installed in both images."))
    groups: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "Dependency groups installed in production besides main (development has every "
            "non-optional group, and these)."
        ),
    )
    test_command: tuple[str, ...] | None = field(
        default=None,
        metadata=_help(
            "Command of the `test` stage, run in the development environment; default: pytest "
            "when the project locks it."
        ),
    )
    lint_command: tuple[str, ...] | None = field(
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
    uid: int = field(
        default=10001, metadata=_help("User id the production image runs as (not 0: never root).")
    )
    env: Mapping[str, str] = field(
        default_factory=dict, metadata=_help("Environment variables set in both images.")
    )
    labels: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_help("Image labels, added to (and overriding) the OCI labels from metadata."),
    )
    apt_packages: tuple[str, ...] = field(
        default=(), metadata=_help("Debian packages installed in the production image.")
    )
    build_apt_packages: tuple[str, ...] = field(
        default=(),
        metadata=_help("Debian packages for the staging, development and build stages."),
    )
    build_args: Mapping[str, str] = field(
        default_factory=dict, metadata=_help("Build arguments passed to every build.")
    )
    build_env: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_help(
            "Settings for build-time steps only, such as Django's collectstatic "
            "(SECRET_KEY=... DATABASE_URL=...): a BuildKit secret, never in a layer or the "
            "image's history; inspect shows their names only.",
            secret=True,
        ),
    )
    engine: Builder = field(
        default="docker",
        metadata=_help(
            "The container engine that builds, runs and verifies: "
            + " or ".join(typing.get_args(EngineKind))
            + "; the Dockerfile is the same for each. none: `quatrain build` assembles the "
            "production image from the lock without any engine (docs/daemonless.md)."
        ),
    )
    docker: str = field(
        default="docker",
        metadata=_help(
            "The engine's binary to drive (a path or a name on PATH); default: docker, or podman "
            "with engine = podman; from QUATRAIN_DOCKER or --docker only, never from "
            "pyproject.toml."
        ),
    )
    network: str | None = field(
        default=None, metadata=_help("Network for build and run steps, e.g. host.")
    )
    cache_ref: str | None = field(
        default=None,
        metadata=_help(
            "A registry repository (REGISTRY/NAME) for the build cache, read and written by "
            "every build, tagged by target: every stage's steps with a buildx container builder "
            "(type=registry, mode=max), the final image's layers (inline cache, pushed) with the "
            "engine's own BuildKit; from QUATRAIN_CACHE_REF or --cache-ref only."
        ),
    )
    builder: str | None = field(
        default=None,
        metadata=_help(
            "The buildx builder to build with (`docker buildx ls`); needs buildx; from "
            "QUATRAIN_BUILDER or --builder only."
        ),
    )
    syntax: str | None = field(
        default=None,
        metadata=_help(
            "Frontend image for a `# syntax=` line, e.g. docker/dockerfile:1; default: none, "
            "so the engine's built-in frontend is used and nothing is pulled."
        ),
    )

    compose: bool = field(
        default=True,
        metadata=_help(
            "init also writes compose.yaml: the development service for `docker compose "
            "watch`, and production under a profile; never where the project has a compose "
            "file of its own."
        ),
    )

    def __post_init__(self) -> None:
        for name in FIELDS:
            object.__setattr__(self, name, _frozen(getattr(self, name)))


FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Options)}


def option_key(field_name: str) -> str:
    """`base_image` -> `base-image`, the spelling in TOML and on the command line."""
    return field_name.replace("_", "-")


def rule(name: str) -> Rule:
    return schema.RULES[name]


def definition(name: str) -> dict[str, Any]:
    """The option's JSON schema: its rule, what it does, and its default when it has one."""
    prop = {"description": FIELDS[name].metadata["help"], **rule(name).schema}
    default = plain(_default(name))
    if default is not None:  # None means "decided from the project", which has no literal
        prop["default"] = default
    return prop


def json_schema() -> dict[str, Any]:
    """The schema of [tool.quatrain], as shipped in resources/quatrain.schema.json."""
    return schema.document(
        {option_key(name): definition(name) for name in FIELDS},
        [option_key(name) for name in FIELDS if rule(name).in_pyproject],
    )


def _default(name: str) -> Any:
    f = FIELDS[name]
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return types.MappingProxyType(dict(value))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(value)
    return value


def plain(value: Any) -> Any:
    """A value as JSON has it: tuples as lists, mappings as dicts."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(item) for item in value]
    return value


# What `inspect` shows in place of a secret's value.
HIDDEN = "(hidden)"


def as_plain(options: Options) -> dict[str, Any]:
    """Every option by field name, as JSON has it (for `inspect --json`); a secret option's
    values are hidden, its keys shown."""
    return {
        name: _hidden(getattr(options, name)) if is_secret(name) else plain(getattr(options, name))
        for name in FIELDS
    }


def is_secret(name: str) -> bool:
    """An option whose values are secrets: shown nowhere, passed only as a BuildKit secret."""
    return bool(FIELDS[name].metadata.get("secret"))


def _hidden(value: Mapping[str, str]) -> dict[str, str]:
    return {key: HIDDEN for key in value}

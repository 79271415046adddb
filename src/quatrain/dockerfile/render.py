"""Project + ServeSpec + Options -> the generated files, as text. Pure: no disk, no engine."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from quatrain import __version__
from quatrain.choosing import poetry_pins
from quatrain.choosing.images import BaseImages, LockNeeds
from quatrain.dockerfile import quoting, sbom
from quatrain.dockerfile.instructions import CA_BUNDLE_PATH, CA_MOUNT, environment
from quatrain.dockerfile.quoting import Expansion
from quatrain.errors import ConfigurationError
from quatrain.reading.credentials import variables
from quatrain.reading.kept_dirs import kept_dirs
from quatrain.reading.lock import LockedPackage
from quatrain.reading.project import Project, canonical_name
from quatrain.settings.options import Options
from quatrain.spec import ServeSpec

DEFAULT_POETRY_VERSION = "2.5.1"
# Poetry 2.0 moved `export` into poetry-plugin-export; older Poetry needs other commands.
MINIMUM_POETRY_MAJOR = 2

POETRY_CORE_BACKEND = "poetry.core.masonry.api"

DOCKERFILE = "Dockerfile"
DOCKERIGNORE = ".dockerignore"
# Beside a Dockerfile built with -f from a monorepo's root, BuildKit reads this one instead.
DOCKERFILE_DOCKERIGNORE = "Dockerfile.dockerignore"
# The production stage's SBOM step (sbom.py), written beside the Dockerfile.
SBOM_SCRIPT = "quatrain-sbom.py"
# Compose's file, the one `docker compose` reads first; the others it reads are the user's own.
COMPOSE = "compose.yaml"
COMPOSE_NAMES = (COMPOSE, "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# What the development container sets for the host user it runs as: the image's settings
# point HOME and Poetry's cache at root's places (`quatrain dev` and compose.yaml alike).
DEVELOPMENT_RUN_ENV = (("HOME", "/tmp"), ("POETRY_CACHE_DIR", "/tmp/poetry-cache"))
# Where it comes from: the build context (what init writes, plain docker build), or a file
# quatrain build hands the engine when it builds without init (the tree is not touched).
SbomScriptFrom = Literal["context", "build"]


def sbom_script() -> str:
    """The text of the SBOM step, as init writes it beside the Dockerfile."""
    return resources.files("quatrain.dockerfile").joinpath("sbom.py").read_text(encoding="utf-8")


def sbom_secret_id() -> str:
    """The id under which quatrain build hands the SBOM step to the engine: a new step, a new
    id, so that BuildKit (whose cache never sees a secret's content) runs it anew."""
    return f"quatrain-sbom-{hashlib.sha256(sbom_script().encode()).hexdigest()[:12]}"


@dataclass(frozen=True, kw_only=True)
class Layout:
    """Where the project sits in the build context: the context itself, or a directory of a
    monorepo whose root is the context because path dependencies live beside the project."""

    project_dir: str = ""  # relative to the context root; "" when the project is the context
    path_dependencies: tuple[str, ...] = ()  # relative to the context root

    @property
    def prefix(self) -> str:
        return f"{self.project_dir}/" if self.project_dir else ""

    @property
    def app_dir(self) -> str:
        return f"/app/{self.project_dir}" if self.project_dir else "/app"

    @property
    def ignore_file(self) -> str:
        return DOCKERFILE_DOCKERIGNORE if self.project_dir else DOCKERIGNORE


def poetry_version(project: Project, options: Options, python: str) -> str:
    """The pinned Poetry: an explicit option, else the one that wrote the lock, else ours;
    the last two only where they run on the image's `python`."""
    if options.poetry_version is not None:
        return options.poetry_version
    written_by = project.lock.poetry_version if project.lock else None
    if written_by and int(written_by.split(".")[0]) >= MINIMUM_POETRY_MAJOR:
        return poetry_pins.poetry_for(python, written_by)
    return poetry_pins.poetry_for(python, DEFAULT_POETRY_VERSION)


def labels(project: Project, options: Options) -> dict[str, str | Expansion]:
    """OCI annotations from the project's metadata, then the user's labels on top."""
    found: dict[str, str | Expansion] = {
        "org.opencontainers.image.title": project.name,
        "org.opencontainers.image.version": project.version,
        # Metadata, not an instruction: a multi-line description becomes one line, as PyPI
        # shows a summary, instead of failing the render (quoting refuses line breaks).
        "org.opencontainers.image.description": " ".join(project.description.split()),
        "org.opencontainers.image.licenses": project.license or "",
        "org.opencontainers.image.source": project.urls.get("repository", ""),
        "org.opencontainers.image.url": project.urls.get("homepage", ""),
        "org.opencontainers.image.revision": Expansion("$REVISION"),
    }
    if not project.package_mode:
        del found["org.opencontainers.image.version"]  # no version without a package
    return {name: value for name, value in {**found, **options.labels}.items() if value}


def development_env(spec: ServeSpec, options: Options) -> list[tuple[str, str]]:
    pairs = [("PORT", quoting.expose_port(options.port))] if spec.http else []
    return pairs + sorted({**dict(spec.development_env), **options.env}.items())


def app_workdir(layout: Layout, spec: ServeSpec) -> str:
    return f"{layout.app_dir}/{spec.workdir}" if spec.workdir else layout.app_dir


def pinned(package: LockedPackage) -> str:
    """A requirement line that uv installs only with these exact files: NAME==V --hash=..."""
    hashes = " ".join(f"--hash={h}" for h in package.hashes)
    return f"{package.name}=={package.version} {hashes}"


# The last setuptools with pkg_resources in it, pinned by the hash of its one wheel on PyPI.
SETUPTOOLS = LockedPackage(
    name="setuptools",
    version="80.10.2",
    groups=("main",),
    files=("setuptools-80.10.2-py3-none-any.whl",),
    hashes=("sha256:95b30ddfb717250edb492926c92b5221f7ef3fbcc2b07579bcd4a27da21d0173",),
)
SETUPTOOLS_REQUIREMENT = pinned(SETUPTOOLS)


def home(options: Options) -> str:
    return f"/home/{options.user}"


def healthcheck(port: int) -> list[str]:
    """The production image's HEALTHCHECK command: the port accepts a connection."""
    return [
        "python",
        "-c",
        "import os, socket; socket.create_connection(('127.0.0.1', "
        f"int(os.environ.get('PORT', '{quoting.expose_port(port)}'))), 4).close()",
    ]


@dataclass(frozen=True, kw_only=True)
class ProductionDirs:
    """Where production's app runs and what it may write there."""

    ship_sources: bool  # the sources are copied too, not the wheel alone
    workdir: str  # where the app runs: the project's directory, or spec.workdir in it
    writable: list[str]  # the data directory, then those the project keeps empty


def production_dirs(project: Project, spec: ServeSpec, layout: Layout) -> ProductionDirs:
    workdir = app_workdir(layout, spec)
    # An application (a web app or a worker, not a command-line tool) reads files beside its
    # code at run time: production ships its sources too, and the directories they keep empty.
    ship_sources = not project.package_mode or not spec.command_line
    kept = [f"{layout.app_dir}/{d}" for d in kept_dirs(project.root)] if ship_sources else []
    data_dir = f"{workdir}/data"
    return ProductionDirs(
        ship_sources=ship_sources,
        workdir=workdir,
        writable=[data_dir, *(d for d in kept if d != data_dir)],
    )


def production_env(spec: ServeSpec, options: Options) -> list[tuple[str, str | Expansion]]:
    pairs: list[tuple[str, str | Expansion]] = [
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("PYTHONUNBUFFERED", "1"),
        ("PYTHONFAULTHANDLER", "1"),
        ("VIRTUAL_ENV", "/opt/venv"),
        ("PATH", Expansion("/opt/venv/bin:$PATH")),
        # Set, not looked up: a platform that runs the image under an arbitrary uid has no
        # passwd entry for it.
        ("HOME", home(options)),
    ]
    if spec.http:
        pairs += [
            ("PORT", quoting.expose_port(options.port)),
            ("WEB_CONCURRENCY", str(options.workers)),
        ]
    return pairs + sorted({**dict(spec.production_env), **options.env}.items())


@dataclass(frozen=True, kw_only=True)
class ComposeContext:
    """What compose.yaml's template reads: paths relative to the project's directory, where the
    file sits (the build context is a monorepo's root above it, or the directory itself)."""

    context: str
    dockerfile: str  # relative to the context
    development_image: str
    production_image: str
    port: int | None  # published on 127.0.0.1, for an app that serves HTTP
    host_network: bool
    development_environment: Sequence[tuple[str, str]]
    command: Sequence[str]  # the development service's, when not the image's
    rebuild_on: Sequence[str]
    sync_action: str
    sync_ignore: Sequence[str]  # relative to the context
    loop: str  # for people, in the header


# What compose.yaml's development service does with an edit, by spec.loop.
_COMPOSE_LOOPS = {
    "reload": ("sync", "edits are synced and the dev server reloads them"),
    "restart": ("sync+restart", "edits are synced and the container restarts"),
    "shell": ("sync", "edits are synced; `docker compose exec development TOOL ...` runs the tool"),
}


def compose_context(
    project: Project, spec: ServeSpec, options: Options, layout: Layout
) -> ComposeContext:
    up = "/".join(".." for _ in layout.project_dir.split("/")) if layout.project_dir else "."
    repository = options.image_name or canonical_name(project.name)
    action, loop = _COMPOSE_LOOPS[spec.loop]
    watched = ("pyproject.toml", "poetry.lock")
    return ComposeContext(
        context=up,
        dockerfile=layout.prefix + DOCKERFILE,
        development_image=f"{repository}:development",
        production_image=f"{repository}:latest",
        port=options.port if spec.http else None,
        host_network=options.network == "host",
        development_environment=DEVELOPMENT_RUN_ENV,
        # A tool's container stays up for `exec`, rather than printing its --help and ending.
        command=("sleep", "infinity") if spec.loop == "shell" else (),
        rebuild_on=watched,
        sync_action=action,
        sync_ignore=[*(layout.prefix + name for name in watched), layout.prefix + ".venv/"],
        loop=loop,
    )


@dataclass(frozen=True, kw_only=True)
class TemplateContext:
    """Everything the templates read, typed: a name the template reads that is not here fails
    the render (StrictUndefined), and mypy checks what is built here."""

    quatrain_version: str
    project: Project
    spec: ServeSpec
    build_image: str | Expansion
    runtime_image: str | Expansion
    syntax: str | None
    python_version: str
    debian_release: str
    poetry_version: str
    poetry_plugin_export_version: str
    uv_version: str
    copy_files: list[str]
    copy_dirs: list[str]
    backend_in_poetry_venv: bool
    port: int
    uid: int
    user: str
    labels: Mapping[str, str | Expansion]
    development_env: Sequence[tuple[str, str]]
    production_env: Sequence[tuple[str, str | Expansion]]
    production_command: Sequence[str]
    apt_packages: list[str]
    ship_sources: bool
    home: str
    writable_dirs: list[str]  # the data directory, then those the project keeps empty
    healthcheck: list[str]
    app_workdir: str  # where the app runs: the project's directory, or spec.workdir in it
    setuptools_requirement: str | None
    server_requirement: str | None  # a server quatrain brings (spec.brought_packages), pinned
    development_server_requirement: str | None  # the same, when the dev server is that server
    build_constraints: list[str]
    unhashed: list[str]  # runtime packages without locked hashes: no --require-hashes
    quality_stages: Mapping[str, list[str]]
    ca_mount: str
    ca_bundle_path: str
    keep_ca_bundle: bool
    private_sources: list[str]
    secret_variables: list[str]
    gate: bool
    extras_flags: str
    export_groups: str
    git_dependencies: list[str]
    development_groups: str
    build_apt_packages: list[str]
    layout: Layout
    manifest_paths: list[str]
    written_for: list[str]  # `pyproject.toml:SHA256`, for the check that the files are these
    sbom_path: str
    sbom_script: str  # its path in the context
    sbom_script_mount: str  # RUN's --mount of it


def render(
    project: Project,
    spec: ServeSpec,
    options: Options,
    *,
    images: BaseImages,
    private_sources: Sequence[str] = (),
    layout: Layout | None = None,
    needs: LockNeeds | None = None,
    sbom_script_from: SbomScriptFrom = "context",
    compose: bool = False,
) -> dict[str, str]:
    """Every generated file, by its path relative to the project root."""
    env = environment()
    layout = layout or Layout()
    needs = needs or LockNeeds()
    copy_files, copy_dirs = sources_to_copy(project)
    dirs = production_dirs(project, spec, layout)
    poetry = poetry_version(project, options, images.python_version)
    context = TemplateContext(
        quatrain_version=__version__,
        project=project,
        spec=spec,
        # quatrain's own FROM references carry ${PYTHON_VERSION}: Docker expands them. An
        # image option is the user's, checked against the reference grammar.
        build_image=images.build_override or Expansion(images.build),
        runtime_image=images.runtime_override or Expansion(images.runtime),
        syntax=options.syntax,
        python_version=images.python_version,
        debian_release=images.debian_release,
        poetry_version=poetry,
        poetry_plugin_export_version=poetry_pins.export_plugin_for(
            poetry, options.poetry_plugin_export_version, python=images.python_version
        ),
        uv_version=options.uv_version,
        copy_files=copy_files,
        copy_dirs=copy_dirs,
        # poetry-core, the usual backend, is in Poetry's venv already: uv calls it there
        # without Poetry's own start-up (0.3 s of every code-edit rebuild, measured in bench/).
        backend_in_poetry_venv=project.build_backend == POETRY_CORE_BACKEND,
        port=options.port,
        uid=options.uid,
        user=options.user,
        labels=labels(project, options),
        development_env=development_env(spec, options),
        production_env=production_env(spec, options),
        production_command=options.command or spec.production_command,
        apt_packages=sorted({*options.apt_packages, *needs.runtime_packages}),
        ship_sources=dirs.ship_sources,
        home=home(options),
        writable_dirs=dirs.writable,
        app_workdir=dirs.workdir,
        healthcheck=healthcheck(options.port),
        setuptools_requirement=SETUPTOOLS_REQUIREMENT if needs.setuptools else None,
        server_requirement=" ".join(pinned(p) for p in spec.brought_packages) or None,
        development_server_requirement=(
            " ".join(pinned(p) for p in spec.brought_packages) or None
            if spec.development_command[:1] == ("gunicorn",)
            else None
        ),
        build_constraints=list(needs.build_constraints),
        unhashed=list(needs.unhashed),
        quality_stages=quality_stages(project, options),
        ca_mount=CA_MOUNT if options.ca_bundle else "",
        ca_bundle_path=CA_BUNDLE_PATH,
        keep_ca_bundle=bool(options.ca_bundle and options.keep_ca_bundle),
        private_sources=sorted(private_sources),
        secret_variables=[v for name in sorted(private_sources) for v in variables(name)],
        gate=options.gate,
        extras_flags=install_flags(options),
        export_groups=group_list(["main", *sorted(options.groups)]),
        git_dependencies=git_dependencies(project, options),
        development_groups=group_list(sorted(options.groups)),
        # Git dependencies are cloned by the installs, and slim images have no git.
        build_apt_packages=sorted(
            {
                *options.build_apt_packages,
                *needs.build_packages,
                *(["git"] if project.needs_git else []),
            }
        ),
        layout=layout,
        manifest_paths=[
            layout.prefix + name
            for name in ("pyproject.toml", "poetry.lock", *project.manifest_files)
        ],
        written_for=[f"{name}:{digest}" for name, digest in project.manifest_digests.items()],
        sbom_path=sbom.SBOM_PATH,
        sbom_script=layout.prefix + SBOM_SCRIPT,
        sbom_script_mount=(
            # mount_path checks absolute paths; a bind from the context takes it from its root.
            f"--mount=type=bind,source={quoting.mount_path('/' + layout.prefix + SBOM_SCRIPT)[1:]},"
            "target=/tmp/quatrain-sbom.py"
            if sbom_script_from == "context"
            else f"--mount=type=secret,id={sbom_secret_id()},target=/tmp/quatrain-sbom.py,"
            "required=true"
        ),
    )
    values = {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}
    files = {
        DOCKERFILE: check_line_lengths(env.get_template("Dockerfile.j2").render(values)),
        layout.ignore_file: env.get_template("dockerignore.j2").render(values),
        SBOM_SCRIPT: sbom_script(),
    }
    if compose:
        files[COMPOSE] = env.get_template("compose.yaml.j2").render(
            quatrain_version=__version__,
            project=project,
            compose=compose_context(project, spec, options, layout),
        )
    return files


# BuildKit reads a Dockerfile a line at a time with Go's bufio.Scanner, whose line limit is
# 64 KiB: a longer line fails the build after the engine started. Refused here, with a margin.
MAX_LINE_BYTES = 60_000


def check_line_lengths(dockerfile: str) -> str:
    """The Dockerfile, if every line is short enough for BuildKit; else a ConfigurationError
    that says which instruction and what can make it so long."""
    instruction = ""
    for line in dockerfile.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            instruction = line.split(maxsplit=1)[0]
        size = len(line.encode("utf-8"))
        if size > MAX_LINE_BYTES:
            msg = (
                f"The Dockerfile would have a line of {size:,} bytes in its {instruction} "
                f"instruction, and BuildKit reads lines of at most 64 KiB (quatrain allows "
                f"{MAX_LINE_BYTES:,}). A value in it is too long: an env, labels or command "
                "option, the project's description, or a locked package with very many files. "
                "Shorten it, or keep long data in a file the app reads."
            )
            raise ConfigurationError(msg)
    return dockerfile


def quality_stages(project: Project, options: Options) -> dict[str, list[str]]:
    """The `test` and `lint` stages: the options' commands, or what the project locks."""
    locked = {canonical_name(p.name) for p in project.lock.packages} if project.lock else set()
    defaults = {
        "test": ["pytest"] if "pytest" in locked else None,
        "lint": ["ruff", "check", "."] if "ruff" in locked else None,
    }
    chosen = {"test": options.test_command, "lint": options.lint_command}
    return {
        name: list(command)
        for name, default in defaults.items()
        if (command := chosen[name] if chosen[name] is not None else default)
    }


def git_dependencies(project: Project, options: Options) -> list[str]:
    """Locked git packages in the groups production exports, which need their own install."""
    exported = {"main", *options.groups}
    packages = project.lock.packages if project.lock else ()
    return sorted(p.name for p in packages if p.source_type == "git" and exported & set(p.groups))


def install_flags(options: Options) -> str:
    """Extras, as `poetry install` and `poetry export` take them."""
    flags = [
        f"--extras {quoting.shell_word(quoting.check_extra(e, what='extras'), what='extras')}"
        for e in sorted(options.extras)
    ]
    return "".join(f" {flag}" for flag in flags)


def group_list(groups: Sequence[str]) -> str:
    """Groups as one word of `--with`/`--only`: `main,ops`; "" for none."""
    if not groups:
        return ""
    checked = [quoting.check_group(g, what="groups") for g in groups]
    return quoting.shell_word(",".join(checked), what="groups")


def sources_to_copy(project: Project) -> tuple[list[str], list[str]]:
    """What `poetry build` reads besides the manifest: (files, directories), sorted."""
    modules = {p.path for p in project.packages if "/" not in p.path and p.path.endswith(".py")}
    files = sorted({*project.build_files, *modules})
    directories = sorted({p.top for p in project.packages} - modules | set(project.build_dirs))
    return files, directories

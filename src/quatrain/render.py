"""Project + ServeSpec + Options -> the generated files, as text. Pure: no disk, no engine."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from quatrain import __version__, poetry_pins
from quatrain.credentials import variables
from quatrain.images import BaseImages, LockNeeds
from quatrain.options import Options
from quatrain.project import Project, canonical_name
from quatrain.spec import ServeSpec

DEFAULT_POETRY_VERSION = "2.5.1"
# Poetry 2.0 moved `export` into poetry-plugin-export; older Poetry needs other commands.
MINIMUM_POETRY_MAJOR = 2

POETRY_CORE_BACKEND = "poetry.core.masonry.api"

DOCKERFILE = "Dockerfile"
DOCKERIGNORE = ".dockerignore"
# Beside a Dockerfile built with -f from a monorepo's root, BuildKit reads this one instead.
DOCKERFILE_DOCKERIGNORE = "Dockerfile.dockerignore"


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


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("quatrain"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Dockerfiles, not HTML
    )
    env.filters["exec_form"] = exec_form
    env.filters["env_value"] = env_value
    env.globals["apt_install"] = apt_install
    env.globals["env_block"] = env_block
    env.filters["shell_join"] = shlex.join
    return env


def exec_form(argv: Sequence[str]) -> str:
    """A JSON array as Dockerfile exec form wants it: `["gunicorn", "pkg:create_app()"]`."""
    return json.dumps(list(argv), ensure_ascii=False)


def env_value(value: str) -> str:
    """Quote an ENV or LABEL value only when it needs it, so simple values stay readable."""
    if value and all(c.isalnum() or c in "._-/:@+$" for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def env_block(pairs: Sequence[tuple[str, str]]) -> str:
    """One ENV instruction, a variable a line."""
    lines = [f"{name}={env_value(value)}" for name, value in pairs]
    return "ENV " + " \\\n    ".join(lines)


CA_BUNDLE_SECRET = "ca-bundle"
CA_BUNDLE_PATH = "/run/secrets/ca-bundle"
# One more mount line for every step that downloads, when a ca-bundle is given.
CA_MOUNT = (
    f"    --mount=type=secret,id={CA_BUNDLE_SECRET},target={CA_BUNDLE_PATH},required=true \\\n"
)


def apt_install(packages: Sequence[str], ca_mount: str = "") -> str:
    """Debian packages, with apt's lists and downloads in cache mounts rather than layers."""
    trust = f" -o Acquire::https::CaInfo={CA_BUNDLE_PATH}" if ca_mount else ""
    return "\n".join(
        [
            "# Versions follow the Debian release of the base image; apt's lists and downloads",
            "# stay in cache mounts, out of the image.",
            "# hadolint ignore=DL3008",
            "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\",
            "    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\",
            ca_mount + f"    apt-get{trust} update \\",
            f"    && apt-get{trust} install --yes --no-install-recommends "
            + " ".join(sorted(packages)),
        ]
    )


def poetry_version(project: Project, options: Options) -> str:
    """The pinned Poetry: an explicit option, else the one that wrote the lock, else ours."""
    if options.poetry_version is not None:
        return options.poetry_version
    written_by = project.lock.poetry_version if project.lock else None
    if written_by and int(written_by.split(".")[0]) >= MINIMUM_POETRY_MAJOR:
        return written_by
    return DEFAULT_POETRY_VERSION


def labels(project: Project, options: Options) -> dict[str, str]:
    """OCI annotations from the project's metadata, then the user's labels on top."""
    found = {
        "org.opencontainers.image.title": project.name,
        "org.opencontainers.image.version": project.version,
        "org.opencontainers.image.description": project.description,
        "org.opencontainers.image.licenses": project.license or "",
        "org.opencontainers.image.source": project.urls.get("repository", ""),
        "org.opencontainers.image.url": project.urls.get("homepage", ""),
        "org.opencontainers.image.revision": "$REVISION",
    }
    if not project.package_mode:
        del found["org.opencontainers.image.version"]  # no version without a package
    return {name: value for name, value in {**found, **options.labels}.items() if value}


def development_env(spec: ServeSpec, options: Options) -> list[tuple[str, str]]:
    pairs = [("PORT", str(options.port))] if spec.http else []
    return pairs + sorted({**dict(spec.development_env), **options.env}.items())


SETUPTOOLS_REQUIREMENT = (
    # The last setuptools with pkg_resources in it, pinned by the hash of its wheel on PyPI.
    "setuptools==80.10.2 "
    "--hash=sha256:95b30ddfb717250edb492926c92b5221f7ef3fbcc2b07579bcd4a27da21d0173"
)


def home(options: Options) -> str:
    return f"/home/{options.user}"


def production_env(spec: ServeSpec, options: Options) -> list[tuple[str, str]]:
    pairs = [
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("PYTHONUNBUFFERED", "1"),
        ("PYTHONFAULTHANDLER", "1"),
        ("VIRTUAL_ENV", "/opt/venv"),
        ("PATH", "/opt/venv/bin:$PATH"),
        # Set, not looked up: a platform that runs the image under an arbitrary uid has no
        # passwd entry for it.
        ("HOME", home(options)),
    ]
    if spec.http:
        pairs += [("PORT", str(options.port)), ("WEB_CONCURRENCY", str(options.workers))]
    return pairs + sorted({**dict(spec.production_env), **options.env}.items())


def render(
    project: Project,
    spec: ServeSpec,
    options: Options,
    *,
    images: BaseImages,
    private_sources: Sequence[str] = (),
    layout: Layout | None = None,
    needs: LockNeeds | None = None,
) -> dict[str, str]:
    """Every generated file, by its path relative to the project root."""
    env = _environment()
    layout = layout or Layout()
    needs = needs or LockNeeds()
    copy_files, copy_dirs = sources_to_copy(project)
    context = {
        "quatrain_version": __version__,
        "project": project,
        "spec": spec,
        "images": images,
        "syntax": options.syntax,
        "python_version": images.python_version,
        "debian_release": images.debian_release,
        "poetry_version": poetry_version(project, options),
        "poetry_plugin_export_version": poetry_pins.export_plugin_for(
            poetry_version(project, options), options.poetry_plugin_export_version
        ),
        "uv_version": options.uv_version,
        "copy_files": copy_files,
        "copy_dirs": copy_dirs,
        # poetry-core, the usual backend, is in Poetry's venv already: uv calls it there
        # without Poetry's own start-up (0.3 s of every code-edit rebuild, measured in bench/).
        "backend_in_poetry_venv": project.build_backend == POETRY_CORE_BACKEND,
        "port": options.port,
        "uid": options.uid,
        "user": options.user,
        "labels": labels(project, options),
        "development_env": development_env(spec, options),
        "production_env": production_env(spec, options),
        "production_command": options.command or spec.production_command,
        "apt_packages": sorted({*options.apt_packages, *needs.runtime_packages}),
        # An application (a web app or a worker, not a command-line tool) reads files beside
        # its code at run time: production ships its sources too.
        "ship_sources": not project.package_mode or spec.kind != "cli",
        "home": home(options),
        "data_dir": f"{layout.app_dir}/data",
        "setuptools_requirement": SETUPTOOLS_REQUIREMENT if needs.setuptools else None,
        "quality_stages": quality_stages(project, options),
        "ca_mount": CA_MOUNT if options.ca_bundle else "",
        "ca_bundle_path": CA_BUNDLE_PATH,
        "keep_ca_bundle": bool(options.ca_bundle and options.keep_ca_bundle),
        "private_sources": sorted(private_sources),
        "secret_variables": [v for name in sorted(private_sources) for v in variables(name)],
        "gate": options.gate,
        "extras_flags": install_flags(options),
        "export_groups": ",".join(["main", *sorted(options.groups)]),
        "git_dependencies": git_dependencies(project, options),
        "development_groups": ",".join(sorted(options.groups)),
        # Git dependencies are cloned by the installs, and slim images have no git.
        "build_apt_packages": sorted(
            {
                *options.build_apt_packages,
                *needs.build_packages,
                *(["git"] if project.needs_git else []),
            }
        ),
        "layout": layout,
    }
    return {
        DOCKERFILE: env.get_template("Dockerfile.j2").render(context),
        layout.ignore_file: env.get_template("dockerignore.j2").render(context),
    }


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
    """Extras and extra groups, as `poetry install` and `poetry export` take them."""
    flags = [f"--extras {extra}" for extra in sorted(options.extras)]
    return "".join(f" {flag}" for flag in flags)


def sources_to_copy(project: Project) -> tuple[list[str], list[str]]:
    """What `poetry build` reads besides the manifest: (files, directories), sorted."""
    modules = {p.path for p in project.packages if "/" not in p.path and p.path.endswith(".py")}
    files = sorted({*project.build_files, *modules})
    directories = sorted({p.top for p in project.packages} - modules | set(project.build_dirs))
    return files, directories

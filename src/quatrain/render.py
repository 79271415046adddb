"""Project + ServeSpec + Options -> the generated files, as text. Pure: no disk, no engine."""

from __future__ import annotations

import json
from collections.abc import Sequence

import jinja2

from quatrain import __version__
from quatrain.detect import ServeSpec
from quatrain.images import BaseImages
from quatrain.options import Options
from quatrain.project import Project

DEFAULT_POETRY_VERSION = "2.5.1"
# Poetry 2.0 moved `export` into poetry-plugin-export; older Poetry needs other commands.
MINIMUM_POETRY_MAJOR = 2

DOCKERFILE = "Dockerfile"
DOCKERIGNORE = ".dockerignore"


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
    return env


def exec_form(argv: Sequence[str]) -> str:
    """A JSON array as Dockerfile exec form wants it: `["gunicorn", "pkg:create_app()"]`."""
    return json.dumps(list(argv), ensure_ascii=False)


def env_value(value: str) -> str:
    """Quote an ENV or LABEL value only when it needs it, so simple values stay readable."""
    if value and all(c.isalnum() or c in "._-/:@+" for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def poetry_version(project: Project, options: Options) -> str:
    """The pinned Poetry: an explicit option, else the one that wrote the lock, else ours."""
    if options.poetry_version is not None:
        return options.poetry_version
    written_by = project.lock.poetry_version if project.lock else None
    if written_by and int(written_by.split(".")[0]) >= MINIMUM_POETRY_MAJOR:
        return written_by
    return DEFAULT_POETRY_VERSION


def labels(project: Project) -> dict[str, str]:
    """OCI annotations from the project's metadata."""
    found = {
        "org.opencontainers.image.title": project.name,
        "org.opencontainers.image.version": project.version,
        "org.opencontainers.image.description": project.description,
        "org.opencontainers.image.licenses": project.license or "",
        "org.opencontainers.image.source": project.urls.get("repository", ""),
        "org.opencontainers.image.url": project.urls.get("homepage", ""),
    }
    return {name: value for name, value in found.items() if value}


def render(
    project: Project, spec: ServeSpec, options: Options, *, images: BaseImages
) -> dict[str, str]:
    """Every generated file, by its path relative to the project root."""
    env = _environment()
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
        "poetry_plugin_export_version": options.poetry_plugin_export_version,
        "copy_files": copy_files,
        "copy_dirs": copy_dirs,
        "port": options.port,
        "workers": options.workers,
        "uid": options.uid,
        "labels": labels(project),
    }
    return {
        DOCKERFILE: env.get_template("Dockerfile.j2").render(context),
        DOCKERIGNORE: env.get_template("dockerignore.j2").render(context),
    }


def sources_to_copy(project: Project) -> tuple[list[str], list[str]]:
    """What `poetry build` reads besides the manifest: (files, directories), sorted."""
    modules = {p.path for p in project.packages if "/" not in p.path and p.path.endswith(".py")}
    files = sorted({*project.build_files, *modules})
    directories = sorted({p.top for p in project.packages} - modules)
    return files, directories

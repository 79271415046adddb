"""Dockerfile instructions made from checked values: the template environment, with quoting's
filters and the helpers that write whole instructions (ENV, LABEL, COPY, apt-get). Every value
from the options or the project reaches the templates through one of them."""

from __future__ import annotations

import functools
import shlex
from collections.abc import Mapping, Sequence

import jinja2

from quatrain.dockerfile import quoting
from quatrain.dockerfile.quoting import Expansion


@functools.cache
def environment() -> jinja2.Environment:
    """The one template environment of a process: its templates are compiled once, however
    many times the process renders (make_plan renders for init and for a build without it)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("quatrain.dockerfile"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Dockerfiles, not HTML
    )
    # Every value from the options or the project reaches the templates through one of
    # quoting's filters, each for its Dockerfile context; nothing is pasted raw.
    env.filters.update(quoting.FILTERS)
    env.filters["copy_arguments"] = copy_arguments
    env.globals["apt_install"] = apt_install
    env.globals["env_block"] = env_block
    env.globals["label_block"] = label_block
    env.filters["shell_join"] = shlex.join  # for comments only: RUN lines take shell_command
    return env


def env_block(pairs: Sequence[tuple[str, str | Expansion]]) -> str:
    """One ENV instruction, a variable a line."""
    lines = [
        f"{quoting.env_key(name, what='env name')}={quoting.env_value(value, what=f'env {name}')}"
        for name, value in pairs
    ]
    return "ENV " + " \\\n    ".join(lines)


def label_block(found: Mapping[str, str | Expansion]) -> str:
    """One LABEL instruction, a label a line, sorted by name."""
    lines = [
        f"{quoting.label_key(name, what='label name')}="
        f"{quoting.label_value(value, what=f'label {name}')}"
        for name, value in sorted(found.items())
    ]
    return "LABEL " + " \\\n      ".join(lines)


def copy_arguments(sources: Sequence[str], dest: str, *, what: str = "a copied path") -> str:
    """COPY's arguments, by quoting.copy_paths. Its plain form refuses a leading `/`, which
    COPY reads the same in a destination: an absolute one whose other paths are plain stays
    plain (`COPY libs/x/ /app/libs/x/`), as quatrain has always written it."""
    written = quoting.copy_paths(sources, dest, what=what)
    if written.startswith("[") and dest.startswith("/"):
        relative = quoting.copy_paths(sources, dest.lstrip("/") or ".", what=what)
        if not relative.startswith("["):
            return " ".join([*sources, dest])
    return written


CA_BUNDLE_SECRET = "ca-bundle"
CA_BUNDLE_PATH = "/run/secrets/ca-bundle"
# One more mount line for every step that downloads, when a ca-bundle is given.
CA_MOUNT = (
    f"    --mount=type=secret,id={CA_BUNDLE_SECRET},target={CA_BUNDLE_PATH},required=true \\\n"
)


def apt_install(packages: Sequence[str], ca_mount: str = "", what: str = "apt-packages") -> str:
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
            + " ".join(quoting.check_debian_package(p, what=what) for p in sorted(packages)),
        ]
    )

"""Which official `python` images a project's stages get: the tags for the Python that
python_choice chose, on a Debian release that has them, with or without compilers; and what
the lock asks of them beyond its own packages (Debian packages, setuptools, build tools)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import SpecifierSet

from quatrain.choosing import pkg_resources, system_packages, tables
from quatrain.choosing.python_choice import choose_python, end_of_life_warning, lock_era
from quatrain.errors import ConfigurationError
from quatrain.reading import evidence, wheels
from quatrain.reading.lock import Lock, LockedPackage, canonical_name
from quatrain.reading.project import Project
from quatrain.reading.wheels import minor_tuple
from quatrain.settings.options import Options

CONSTRAINTS_FILE = "build-constraints.toml"

DEBIAN_RELEASES = ("trixie", "bookworm")
# The first patch release of each minor that has images on a Debian release. docker-library/python
# adds a release's variants once Debian ships it and builds them for the patch releases current
# then, never back: bookworm in June 2023 (Debian 12 came out on 10 June, when 3.11.4, 3.10.12,
# 3.9.17 and 3.8.17 were current), trixie on 2025-08-08 (commit 093598a "Add Debian Trixie (and
# remove Bullseye)"; 3.13.6, 3.12.11, 3.11.13, 3.10.18 and 3.9.23 were current). A minor missing
# from a row had images on that release from its first release on.
FIRST_PATCH_ON: Mapping[str, Mapping[str, int]] = {
    "trixie": {"3.9": 23, "3.10": 18, "3.11": 13, "3.12": 11, "3.13": 6},
    "bookworm": {"3.8": 17, "3.9": 17, "3.10": 12, "3.11": 4},
}


@dataclass(frozen=True, kw_only=True)
class BaseImages:
    """The `FROM` references of the stages, written with the Dockerfile's build arguments."""

    python_version: str
    debian_release: str
    build_flavor: str  # "slim" or "full"
    build_override: str | None = None  # the base-image option, used as it is
    runtime_override: str | None = None  # the runtime-image option
    python_reason: str = ""  # why this Python, for `inspect`
    # Runtime packages with no wheel for this Python and platform: uv builds them from source.
    source_builds: tuple[LockedPackage, ...] = ()

    @property
    def build(self) -> str:
        if self.build_override:
            return self.build_override
        suffix = "-slim" if self.build_flavor == "slim" else ""
        return f"python:${{PYTHON_VERSION}}{suffix}-${{DEBIAN_RELEASE}}"

    @property
    def runtime(self) -> str:
        return self.runtime_override or "python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}"


def choose(
    project: Project, options: Options, *, release_is_default: bool = False
) -> tuple[BaseImages, list[str]]:
    """The images of the stages, and warnings for people: the Python the lock can serve, and
    a build image with compilers when a runtime package builds from source.

    `release_is_default`: debian-release was not set, so a patch release that has no images
    on the default release gets the newest release that has them."""
    release = check_debian_release(options.debian_release)
    runtime = project.runtime_packages(options.groups, options.extras)
    direct = project.requested(options.groups)
    python = choose_python(
        project.python_constraint,
        options.python_version,
        lock=project.lock,
        runtime=runtime,
        direct=direct,
        debian_release=release,
        authors=evidence.authors_python(evidence.evidence(project.root)),
    )
    warnings = []
    wanted = release
    release, note = _release_with_tag(python.version, release, chosen=not release_is_default)
    if release != wanted:
        python = dataclasses.replace(python, reason=f"{python.reason}; {note}")
    elif note:
        warnings.append(note)
    if ended := end_of_life_warning(python.version, pinned=options.python_version is not None):
        warnings.append(ended)
    target = wheels.Platform(python=python.version, debian_release=release)
    installed = wheels.on_platform(project.lock, runtime, direct, target) if project.lock else ()
    builds = wheels.source_builds(installed, target)
    if options.python_version and python.source_builds:
        warnings.append(
            f"python-version {python.version}: the lock has no wheel for it of "
            f"{', '.join(python.source_builds)}, so they build from source (a build image "
            "with compilers, and the system libraries they need)."
        )
    flavor = options.build_flavor
    if flavor == "auto":
        flavor = "full" if builds else "slim"
    images = BaseImages(
        python_version=python.version,
        debian_release=release,
        build_flavor=flavor,
        build_override=options.base_image,
        runtime_override=options.runtime_image,
        python_reason=python.reason,
        source_builds=builds,
    )
    return images, warnings


def _release_with_tag(python: str, release: str, *, chosen: bool) -> tuple[str, str]:
    """The Debian release whose official images have this Python, and a sentence when that is
    not simply `release`. Only a patch release (3.11.7) can lack one: X.Y tags move on."""
    found = re.fullmatch(r"(3\.\d+)\.(\d+)", python)
    if found is None:
        return release, ""

    def has_images(on: str) -> bool:
        return int(found[2]) >= FIRST_PATCH_ON[on].get(found[1], 0)

    if has_images(release):
        return release, ""
    first = f"{found[1]}.{FIRST_PATCH_ON[release][found[1]]}"
    others = [r for r in DEBIAN_RELEASES if r != release and has_images(r)]
    if not others:
        return release, (
            f"Python {python} has no official images on {' or '.join(DEBIAN_RELEASES)} "
            f"(they start at {first} on {release}): pull python:{python}-slim-{release} "
            "will fail; widen the project's Python constraint or set python-version."
        )
    if chosen:
        return release, (
            f"debian-release {release}: Python {python} has no official images on it "
            f"({release}'s start at {first}); python:{python}-slim-{others[0]} exists."
        )
    return others[0], f"its images are on {others[0]} ({release}'s start at {first})"


@dataclass(frozen=True, kw_only=True)
class LockNeeds:
    """What the lock asks of the images beyond its own packages."""

    build_packages: tuple[str, ...] = ()  # Debian packages for source builds, in staging
    runtime_packages: tuple[str, ...] = ()  # the shared libraries they link, in production
    setuptools: bool = False  # install setuptools (pkg_resources) the lock left out
    build_constraints: tuple[str, ...] = ()  # for uv's isolated builds of old sdists
    # Runtime packages the lock records no file hashes of (its files lists are empty): uv
    # checks the hashes it has and installs these by their locked versions alone.
    unhashed: tuple[str, ...] = ()


def lock_needs(
    project: Project, options: Options, images: BaseImages
) -> tuple[LockNeeds, list[str]]:
    """Debian packages for the runtime packages that build from source (from the table of
    well-known sdists) and for those that load a system library at import, setuptools where
    the lock leaves it out; warnings for the rest."""
    if project.lock is None:
        return LockNeeds(), []
    runtime = project.runtime_packages(options.groups, options.extras)
    found = system_packages.system_packages(
        [p.name for p in images.source_builds], images.debian_release
    )
    unhashed = tuple(
        sorted(canonical_name(p.name) for p in runtime if p.from_index and not p.hashes)
    )
    unknown = [
        p
        for p in images.source_builds
        if canonical_name(p.name) in found.unknown and canonical_name(p.name) not in unhashed
    ]
    compiled = [p for p in unknown if wheels.has_compiled_code(p)]
    sdists_only = [p for p in unknown if p not in compiled]
    warnings = []
    if compiled:
        warnings.append(_unknown_source_builds_warning(compiled, compiled=True, images=images))
    if sdists_only:
        warnings.append(_unknown_source_builds_warning(sdists_only, compiled=False, images=images))
    if unhashed:
        warnings.append(_unhashed_warning(unhashed))
    loaded = system_packages.loaded_libraries([p.name for p in runtime], images.debian_release)
    needs = LockNeeds(
        build_packages=found.build,
        runtime_packages=tuple(sorted({*found.runtime, *loaded})),
        setuptools=pkg_resources.needs_setuptools(project.lock, runtime),
        build_constraints=build_constraints(project.lock, images.source_builds),
        unhashed=unhashed,
    )
    return needs, warnings


def _unhashed_warning(unhashed: Sequence[str]) -> str:
    """lermanDev/petz's lock 1.1 has `[metadata.files]` with an empty list for every package:
    `poetry install` then checks nothing, and `uv pip install --require-hashes` refuses."""
    more = f" and {len(unhashed) - 5} more" if len(unhashed) > 5 else ""
    one = len(unhashed) == 1
    them, which = ("it", "whether it has a wheel") if one else ("them", "which have wheels")
    return (
        f"poetry.lock records no files, so no hashes, for {len(unhashed)} runtime "
        f"package{'' if one else 's'} ({', '.join(unhashed[:5])}{more}): production installs "
        f"{them} by {'its' if one else 'their'} locked version{'' if one else 's'} without "
        f"checking what it downloads, as `poetry install` does, and quatrain cannot tell "
        f"{which}, so the build image has compilers. `poetry lock` with a current Poetry "
        f"records {them}."
    )


def _unknown_source_builds_warning(
    packages: Sequence[LockedPackage], *, compiled: bool, images: BaseImages
) -> str:
    """Packages that build from source and that the system-package table does not know:
    those with compiled code (a platform wheel is locked for other Pythons) may need Debian
    packages; those the lock has no wheel of at all are most often pure Python."""
    one = len(packages) == 1
    names = ", ".join(sorted(canonical_name(p.name) for p in packages))
    if compiled:
        what = (
            f"{names} {'has' if one else 'have'} compiled code and {'builds' if one else 'build'} "
            f"from source (no wheel for Python {images.python_version})"
        )
    else:
        what = (
            f"{names} {'has' if one else 'have'} no wheel in the lock at all (most often a "
            f"pure-Python sdist) and {'builds' if one else 'build'} from source"
        )
    return (
        f"{what}, and quatrain's table of system packages does not know "
        f"{'it' if one else 'them'}: if the build fails, add the Debian packages "
        f"{'it needs' if one else 'they need'} with build-apt-packages (and the libraries "
        f"{'it loads' if one else 'they load'} with apt-packages)."
    )


def build_constraints(lock: Lock, source_builds: Sequence[LockedPackage]) -> tuple[str, ...]:
    """The build tools old sdists need (resources/build-constraints.toml), when any builds."""
    if not source_builds:
        return ()
    table = _build_constraints_table()
    found: set[str] = set()
    era = lock_era(lock)
    if era is not None and minor_tuple(era[0]) <= minor_tuple(table["era"]["until-python"]):
        found |= set(table["era"]["constraints"])
    for package in source_builds:
        rule = table["package"].get(canonical_name(package.name))
        if rule and SpecifierSet(rule["versions"]).contains(package.version, prereleases=True):
            found |= set(rule["constraints"])
    return tuple(sorted(found))


def _build_constraints_table() -> dict[str, Any]:
    return tables.read_table(CONSTRAINTS_FILE)


def check_debian_release(release: str) -> str:
    if release not in DEBIAN_RELEASES:
        msg = (
            f"debian-release {release!r} has no official python images; "
            f"choose one of {', '.join(DEBIAN_RELEASES)}."
        )
        raise ConfigurationError(msg)
    return release

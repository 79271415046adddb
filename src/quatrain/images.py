"""Which official `python` image a project gets: the Python version and the tags.

The table is what docker-library/python publishes (checked November 2026). It is data, not
a guess at run time: quatrain renders files without a network, and the user can always pin
`python-version` to something newer than this table knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from quatrain import system_packages, tables, wheels
from quatrain.errors import ConfigurationError, ProjectError
from quatrain.lock import Lock, LockedPackage, canonical_name
from quatrain.options import Options
from quatrain.project import Project

ERAS_FILE = "lock-eras.toml"
CONSTRAINTS_FILE = "build-constraints.toml"

# minor -> newest patch release with official images, newest first.
OFFICIAL_PYTHONS: dict[str, str] = {
    "3.15": "3.15.0",
    "3.14": "3.14.7",
    "3.13": "3.13.15",
    "3.12": "3.12.14",
    "3.11": "3.11.16",
    "3.10": "3.10.21",
}
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
    python = choose_python(
        project.python_constraint,
        options.python_version,
        lock=project.lock,
        runtime=runtime,
        debian_release=release,
    )
    warnings = []
    wanted = release
    release, note = _release_with_tag(python.version, release, chosen=not release_is_default)
    if release != wanted:
        python = PythonChoice(
            version=python.version,
            reason=f"{python.reason}; {note}",
            source_builds=python.source_builds,
        )
    elif note:
        warnings.append(note)
    builds = wheels.source_builds(
        runtime, wheels.Target(python=python.version, debian_release=release)
    )
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
    warnings = []
    if found.unknown:
        one = len(found.unknown) == 1
        warnings.append(
            f"{', '.join(found.unknown)} {'builds' if one else 'build'} from source (no wheel "
            f"for Python {images.python_version}), and quatrain's table of system packages "
            f"does not know {'it' if one else 'them'}: if the build fails, add the Debian "
            f"packages {'it needs' if one else 'they need'} with build-apt-packages (and the "
            f"libraries {'it loads' if one else 'they load'} with apt-packages)."
        )
    loaded = system_packages.loaded_libraries([p.name for p in runtime], images.debian_release)
    needs = LockNeeds(
        build_packages=found.build,
        runtime_packages=tuple(sorted({*found.runtime, *loaded})),
        setuptools=wheels.needs_setuptools(project.lock, runtime),
        build_constraints=build_constraints(project.lock, images.source_builds),
    )
    return needs, warnings


def build_constraints(lock: Lock, source_builds: Sequence[LockedPackage]) -> tuple[str, ...]:
    """The build tools old sdists need (resources/build-constraints.toml), when any builds."""
    if not source_builds:
        return ()
    table = _build_constraints_table()
    found: set[str] = set()
    era = lock_era(lock)
    if era is not None and _tuple(era[0]) <= _tuple(table["era"]["until-python"]):
        found |= set(table["era"]["constraints"])
    for package in source_builds:
        rule = table["package"].get(canonical_name(package.name))
        if rule and SpecifierSet(rule["versions"]).contains(package.version, prereleases=True):
            found |= set(rule["constraints"])
    return tuple(sorted(found))


def _build_constraints_table() -> dict[str, Any]:
    return tables.read_table(CONSTRAINTS_FILE)


@dataclass(frozen=True, kw_only=True)
class PythonChoice:
    """The Python of the images and why, for `inspect` and for warnings."""

    version: str  # "3.12"
    reason: str
    source_builds: tuple[str, ...] = ()  # "name version" of compiled packages without a wheel


def choose_python(
    constraint: str | None,
    pinned: str | None,
    *,
    lock: Lock | None = None,
    runtime: Sequence[LockedPackage] = (),
    debian_release: str = "trixie",
) -> PythonChoice:
    """The newest official Python X.Y that the constraint admits, that is not newer than the
    lock's era, and for which every locked runtime package with compiled code has a wheel; or
    the pinned one."""
    compiled = [p for p in runtime if wheels.has_compiled_code(p)]

    def missing(version: str) -> tuple[str, ...]:
        target = wheels.Target(python=version, debian_release=debian_release)
        return tuple(f"{p.name} {p.version}" for p in wheels.source_builds(compiled, target))

    if pinned is not None:
        if not re.fullmatch(r"3\.\d+", pinned):
            msg = f"python-version must look like 3.12 (major.minor), not {pinned!r}."
            raise ConfigurationError(msg)
        return PythonChoice(version=pinned, reason="python-version", source_builds=missing(pinned))
    admitted = _admitted(constraint)
    era = lock_era(lock) if lock is not None else None
    within = [v for v in admitted if era is None or _tuple(v) <= _tuple(era[0])]
    candidates = within or admitted[-1:]  # an era older than every image: the oldest admitted
    gaps = {version: missing(version) for version in candidates}
    chosen = min(candidates, key=lambda v: (len(gaps[v]), -_tuple(v)[1]))
    return PythonChoice(
        version=chosen,
        reason=_reason(chosen, constraint, admitted, era, gaps, len(compiled)),
        source_builds=gaps[chosen],
    )


def _admitted(constraint: str | None) -> list[str]:
    specifiers = to_specifier_set(constraint or "")
    admitted = [m for m, patch in OFFICIAL_PYTHONS.items() if specifiers.contains(patch, True)]
    exact = _exact_patch(specifiers)
    if not admitted and exact:
        return [exact]  # `python = "3.11.7"`: the official images tag every patch release
    if not admitted:
        msg = (
            f"No official Python image satisfies the project's Python constraint {constraint!r} "
            f"(known: {', '.join(OFFICIAL_PYTHONS)}). Widen the constraint, or set "
            "python-version in [tool.quatrain] if you know an image that fits."
        )
        raise ProjectError(msg)
    return admitted


def _exact_patch(specifiers: SpecifierSet) -> str | None:
    """X.Y.Z when the constraint is one `==X.Y.Z` of an official minor, else None."""
    pins = [s.version for s in specifiers if s.operator in ("==", "===")]
    if len(pins) != 1 or not re.fullmatch(r"3\.\d+\.\d+", pins[0]):
        return None
    official = pins[0].rsplit(".", 1)[0] in OFFICIAL_PYTHONS
    return pins[0] if official and specifiers.contains(pins[0]) else None


def _reason(
    chosen: str,
    constraint: str | None,
    admitted: list[str],
    era: tuple[str, str] | None,
    gaps: Mapping[str, tuple[str, ...]],
    compiled: int,
) -> str:
    newest = (
        f"the newest official Python that {constraint or 'the project'} admits is {admitted[0]}"
    )
    covered = (
        f"; {'its' if compiled == 1 else f'all {compiled}'} compiled "
        f"package{'s have' if compiled > 1 else ' has'} wheels for {chosen}"
        if compiled
        else ""
    )
    if gaps[chosen]:
        return (
            f"{newest}; no candidate has wheels for every compiled package, and {chosen} builds "
            f"the fewest from source ({', '.join(gaps[chosen])})"
        )
    if chosen == admitted[0]:
        return newest + covered
    newer = sorted((v for v in gaps if _tuple(v) > _tuple(chosen)), key=_tuple)
    if newer:
        lacking = gaps[newer[0]]
        more = f" and {len(lacking) - 3} more" if len(lacking) > 3 else ""
        return f"{newest}, but {newer[0]} has no wheel of {', '.join(lacking[:3])}{more}" + covered
    assert era is not None, "only the era bounds a choice below the newest without a gap"
    return f"{newest}, but the lock was written {era[1]}, before Python {_next(chosen)}" + covered


def lock_era(lock: Lock) -> tuple[str, str] | None:
    """(newest Python of the lock's time, what says so), from the newest CPython a locked
    wheel was built for and the Poetry that wrote the lock, whichever is later."""
    eras = _eras()
    evidence: list[tuple[str, str]] = []
    if lock.poetry_version is not None:
        minor = ".".join(lock.poetry_version.split(".")[:2])
        if minor not in eras["poetry"] and _tuple(minor) > _tuple(max(eras["poetry"], key=_tuple)):
            return None  # a Poetry newer than the table: current, no bound
        # The patch release's own era where the table has one, else its minor's.
        era = eras["poetry"].get(lock.poetry_version, eras["poetry"].get(minor))
        if era is not None:
            evidence.append((era, f"by Poetry {lock.poetry_version}"))
    elif lock.lock_version in eras["lock-version"]:
        version = eras["lock-version"][lock.lock_version]
        evidence.append((version, f"in lock format {lock.lock_version}"))
    tag = wheels.newest_cpython_tag(lock)
    if tag is not None:
        evidence.append((f"{tag[0]}.{tag[1]}", f"with wheels up to CPython {tag[0]}.{tag[1]}"))
    return max(evidence, key=lambda e: _tuple(e[0])) if evidence else None


def _eras() -> dict[str, Any]:
    return tables.read_table(ERAS_FILE)


def _tuple(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _next(version: str) -> str:
    major, minor = _tuple(version)
    return f"{major}.{minor + 1}"


def to_specifier_set(constraint: str) -> SpecifierSet:
    """Turn a Poetry or PEP 440 constraint into one PEP 440 set.

    `||` alternatives are narrowed to the first one that is not empty, which is
    enough to pick an interpreter: ``^3.11`` -> ``>=3.11,<4.0``.
    """
    alternatives = [a.strip() for a in constraint.split("||")]
    try:
        sets = [SpecifierSet(",".join(_pep440(a))) for a in alternatives if a]
    except (InvalidSpecifier, ValueError) as e:  # ValueError: "^3.x" has no number to bump
        msg = f"The project's Python constraint {constraint!r} is not one quatrain can read ({e})."
        raise ProjectError(msg) from e
    if not sets:
        return SpecifierSet()
    # An image satisfies the constraint if it satisfies any alternative; prefer the widest.
    for patch in OFFICIAL_PYTHONS.values():
        for spec in sets:
            if spec.contains(patch, prereleases=True):
                return spec
    return sets[0]


def _pep440(alternative: str) -> list[str]:
    parts = [p for p in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alternative) if p]
    return [clause for part in parts for clause in _clause(part.strip())]


def _clause(part: str) -> list[str]:
    if part in ("*", ""):
        return []
    if part.startswith("^"):
        return _caret(part[1:])
    if part.startswith("~") and not part.startswith("~="):
        return _tilde(part[1:])
    if part[0].isdigit():
        return [f"=={part}"]
    return [part]


def _caret(version: str) -> list[str]:
    numbers = [int(n) for n in version.split(".")]
    first_nonzero = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
    upper = [*numbers[:first_nonzero], numbers[first_nonzero] + 1]
    return [f">={version}", f"<{'.'.join(map(str, upper))}"]


def _tilde(version: str) -> list[str]:
    numbers = [int(n) for n in version.split(".")]
    upper = [numbers[0] + 1] if len(numbers) == 1 else [numbers[0], numbers[1] + 1]
    return [f">={version}", f"<{'.'.join(map(str, upper))}"]


def check_debian_release(release: str) -> str:
    if release not in DEBIAN_RELEASES:
        msg = (
            f"debian-release {release!r} has no official python images; "
            f"choose one of {', '.join(DEBIAN_RELEASES)}."
        )
        raise ConfigurationError(msg)
    return release

"""What the lock can install on an image: which locked runtime packages have a wheel for a
given Python and platform, and which would build from source. Pure: reads the parsed lock.

A wheel's tags say where it installs (PEP 425); the image's Python and glibc say which tags it
takes, as pip and uv compute them. quatrain decides for Linux on x86_64, the platform images are
deployed on most, unless the Platform names another machine (the daemonless build's arm64).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from quatrain.errors import ProjectError
from quatrain.reading.lock import Lock, LockedPackage, canonical_name

ARCHITECTURE = "x86_64"
# glibc of each Debian release: manylinux_2_N wheels need N at most this.
GLIBC_MINOR = {"bookworm": 36, "trixie": 41}
# The legacy manylinux names and the glibc they stand for (PEP 600).
_LEGACY_MANYLINUX = {"manylinux2014": 17, "manylinux2010": 12, "manylinux1": 5}


@dataclass(frozen=True, kw_only=True)
class Platform:
    """Where the packages are installed: CPython X.Y on a Debian release."""

    python: str  # "3.12", or a patch release "3.11.7"
    debian_release: str = "trixie"
    machine: str = ARCHITECTURE  # `uname -m` of the image's platform: x86_64, aarch64
    glibc_minor: int | None = None  # read from the image; else the Debian release's

    @property
    def python_tuple(self) -> tuple[int, int]:
        major, minor = self.python.split(".")[:2]
        return int(major), int(minor)


def runtime_packages(
    lock: Lock,
    *,
    groups: Collection[str] = (),
    extras: Collection[str] = (),
    requested: Collection[str] | None = None,
) -> tuple[LockedPackage, ...]:
    """The packages production installs: the main group and the chosen groups, and optional
    packages only through a chosen extra. A lock whose packages do not say their groups (Poetry
    1.5 to 1.8) gives them all as "main": then what the `requested` direct dependencies reach,
    by any edge, is installed, and the development tools are not."""
    wanted = {"main", *groups}
    chosen_extras = {p for extra in extras for p in (lock.extras or {}).get(extra, ())}
    installed = tuple(
        p
        for p in lock.packages
        if wanted & set(p.groups) and (not p.optional or canonical_name(p.name) in chosen_extras)
    )
    if lock.groups_known or requested is None:
        return installed
    return reachable(installed, {canonical_name(n) for n in requested}, platform=None)


def reachable(
    packages: Sequence[LockedPackage], direct: set[str], platform: Platform | None
) -> tuple[LockedPackage, ...]:
    """The packages the direct dependencies reach, by the edges whose marker applies on the
    platform (every edge, without one). Optional packages came through a chosen extra and
    packages of other groups through a chosen group: the project asks for them, as for its
    direct dependencies."""
    by_name = {canonical_name(p.name): p for p in packages}
    found = {n for n, p in by_name.items() if n in direct or p.optional or "main" not in p.groups}
    pending = list(found)
    while pending:
        for name, marker in by_name[pending.pop()].dependency_markers:
            if name in by_name and name not in found and _edge_applies(marker, platform):
                found.add(name)
                pending.append(name)
    return tuple(p for n, p in by_name.items() if n in found)


def on_platform(
    lock: Lock, runtime: Sequence[LockedPackage], direct: Iterable[str], platform: Platform
) -> tuple[LockedPackage, ...]:
    """Of the runtime packages, those `poetry export` lists and uv installs on the platform.

    Lock 2.1 (Poetry 2) keeps on each package the marker under which it is installed. Older
    locks keep markers on the edges only: a package is then installed when the project asks
    for it (`direct`) or when an installed package depends on it by an edge whose marker
    applies (Twisted's `twisted-iocpsupport ; platform_system == "Windows"` does not).
    """
    if minor_tuple(lock.lock_version) < (2, 1):
        runtime = reachable(runtime, {canonical_name(n) for n in direct}, platform)
    return tuple(p for p in runtime if applies(p, platform))


def minor_tuple(version: str) -> tuple[int, int]:
    """(X, Y) of "X.Y" or "X.Y.Z": a Python, or a lock's format."""
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _edge_applies(marker: str, platform: Platform | None) -> bool:
    # An `extra == "x"` edge is taken: Poetry locks an optional dependency only when something
    # asks for that extra. The rest of the marker is judged as `applies` judges a package's.
    if not marker or "extra" in marker or platform is None:
        return True
    return applies(LockedPackage(name="", version="", groups=(), markers=marker), platform)


def has_compiled_code(package: LockedPackage) -> bool:
    """A platform-specific wheel is locked: the package has compiled code, so a Python or a
    platform without its wheel builds it from source."""
    return any(not _is_pure(tags) for tags in _wheel_tags(package))


def installs_from_wheel(package: LockedPackage, platform: Platform) -> bool:
    supported = supported_tags(platform)
    return any(tags & supported for tags in _wheel_tags(package))


def source_builds(
    packages: Iterable[LockedPackage], platform: Platform
) -> tuple[LockedPackage, ...]:
    """The packages that have no wheel for the platform and come from an index: uv builds them
    from their sdist, which may need a compiler and system libraries. Packages that apply only
    elsewhere (a `sys_platform == "win32"` marker) are left out."""
    return tuple(
        p
        for p in packages
        if p.from_index and applies(p, platform) and not installs_from_wheel(p, platform)
    )


def applies(package: LockedPackage, platform: Platform) -> bool:
    if not package.markers:
        return True
    try:
        marker = Marker(package.markers)
    except InvalidMarker:
        return True  # unreadable: assume it is installed, the safe side for a compiler choice
    major, minor = platform.python_tuple
    full = platform.python if platform.python.count(".") == 2 else f"{platform.python}.0"
    try:
        return _evaluate(marker, major, minor, full, platform.machine)
    except (UndefinedComparison, UndefinedEnvironmentName) as error:
        owner = f"{package.name}'s" if package.name else "a dependency's"
        msg = (
            f"poetry.lock: {owner} markers ({package.markers}) cannot be evaluated: {error}. "
            "The lock looks damaged or hand-edited: run `poetry lock` to write it anew."
        )
        raise ProjectError(msg) from error


def _evaluate(marker: Marker, major: int, minor: int, full: str, machine: str) -> bool:
    return marker.evaluate(
        {
            "python_version": f"{major}.{minor}",
            "python_full_version": full,
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": machine,
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "extra": "",
        }
    )


def newest_cpython_tag(lock: Lock) -> tuple[int, int] | None:
    """The newest CPython that any locked wheel was built for: the lock was resolved no earlier
    than that Python's wheels existed."""
    versions = {
        (int(tag.interpreter[2]), int(tag.interpreter[3:]))
        for package in lock.packages
        for tags in _wheel_tags(package)
        for tag in tags
        if tag.interpreter.startswith("cp3") and tag.interpreter[3:].isdigit()
    }
    return max(versions, default=None)


@cache
def supported_tags(platform: Platform) -> frozenset[Tag]:
    """The tags CPython X.Y takes on glibc Linux, like `pip debug --verbose` lists them."""
    return frozenset(ordered_tags(platform))


@cache
def ordered_tags(platform: Platform) -> tuple[Tag, ...]:
    """The same tags, the most specific first: the order in which pip and uv prefer wheels."""
    glibc = platform.glibc_minor or GLIBC_MINOR.get(
        platform.debian_release, min(GLIBC_MINOR.values())
    )
    machine = platform.machine
    platforms = [f"manylinux_2_{n}_{machine}" for n in range(glibc, 4, -1)]
    platforms += [f"{name}_{machine}" for name, n in _LEGACY_MANYLINUX.items() if n <= glibc]
    platforms.append(f"linux_{machine}")
    version = platform.python_tuple
    return (
        *cpython_tags(version, platforms=platforms),
        *compatible_tags(version, interpreter=f"cp{version[0]}{version[1]}", platforms=platforms),
    )


def best_wheel(package: LockedPackage, platform: Platform) -> str | None:
    """The locked wheel pip would install on the platform (the one whose best tag comes first),
    or None when no locked wheel fits."""
    rank = {tag: i for i, tag in enumerate(ordered_tags(platform))}
    ranked = [
        (min(rank[t] for t in tags & rank.keys()), name)
        for name in package.wheels
        if (tags := _tags_of(name)) is not None and tags & rank.keys()
    ]
    return min(ranked)[1] if ranked else None


def _wheel_tags(package: LockedPackage) -> list[frozenset[Tag]]:
    return [tags for name in package.wheels if (tags := _tags_of(name)) is not None]


@cache
def _tags_of(filename: str) -> frozenset[Tag] | None:
    try:
        return parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return None  # not a wheel pip or uv would install either


def _is_pure(tags: frozenset[Tag]) -> bool:
    return all(tag.platform == "any" for tag in tags)

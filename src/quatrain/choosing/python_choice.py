"""Which Python X.Y a project's images get: the newest official Python its constraint admits,
bounded by what its lock can serve (a wheel of every compiled runtime package) and by the
lock's era; and Poetry's constraint syntax, read into PEP 440.

The table is what docker-library/python publishes (checked November 2026). It is data, not a
guess at run time: quatrain renders files without a network, and the user can always pin
`python-version` to something newer than this table knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from quatrain.choosing import tables
from quatrain.errors import ConfigurationError, ProjectError
from quatrain.reading import wheels
from quatrain.reading.lock import Lock, LockedPackage
from quatrain.reading.wheels import minor_tuple

ERAS_FILE = "lock-eras.toml"

# Pythons past their end of life whose official images still exist (docker-library stops
# building a series then and keeps its tags): a last resort, chosen only where the lock has
# wheels for one that it lacks for every Python above (numpy 1.21.1 has wheels up to 3.9 and
# does not build for 3.10). 3.9 is the oldest that Poetry 2, which the images run, supports;
# 3.9.25 was its last release (2025-10-31).
PAST_END_OF_LIFE: dict[str, str] = {"3.9": "3.9.25"}
# When security support ended (PEP 596, PEP 619): a Python chosen or pinned from here gets a
# warning. 3.10 stays among the choices above, as a lock of 2021 needs it as much as before.
END_OF_LIFE: dict[str, str] = {"3.10": "October 2026", "3.9": "October 2025"}

# minor -> newest patch release with official images, newest first.
OFFICIAL_PYTHONS: dict[str, str] = {
    "3.15": "3.15.0",
    "3.14": "3.14.7",
    "3.13": "3.13.15",
    "3.12": "3.12.14",
    "3.11": "3.11.16",
    "3.10": "3.10.21",
}


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
    direct: Iterable[str] | None = None,
    debian_release: str = "trixie",
    authors: tuple[str, str] | None = None,
) -> PythonChoice:
    """The newest official Python X.Y that the constraint admits, that is not newer than the
    lock's era, and for which every locked runtime package with compiled code that installs
    on it has a wheel; or the pinned one. Where none has every wheel, the one that builds the
    fewest from source, which can be a Python past its end of life (PAST_END_OF_LIFE) when it
    builds fewer than all the others. `direct`: the project's direct dependencies, for the
    markers an old lock keeps on its edges only (wheels.on_platform). `authors`: (X.Y, file) of
    the Python the project's own Dockerfile runs, which caps the choice when the constraint
    admits it: a newer Python is one its pure-Python pins were never run on."""
    compiled = [p for p in runtime if wheels.has_compiled_code(p)]

    def missing(version: str) -> tuple[str, ...]:
        target = wheels.Platform(python=version, debian_release=debian_release)
        installed = compiled
        if lock is not None and direct is not None:
            on_platform = wheels.on_platform(lock, runtime, direct, target)
            installed = [p for p in on_platform if wheels.has_compiled_code(p)]
        return tuple(f"{p.name} {p.version}" for p in wheels.source_builds(installed, target))

    if pinned is not None:
        if not re.fullmatch(r"3\.\d+", pinned):
            msg = f"python-version must look like 3.12 (major.minor), not {pinned!r}."
            raise ConfigurationError(msg)
        _refuse_outside(pinned, constraint)
        return PythonChoice(version=pinned, reason="python-version", source_builds=missing(pinned))
    admitted = _admitted(constraint)
    era = lock_era(lock) if lock is not None else None
    within = [v for v in admitted if era is None or minor_tuple(v) <= minor_tuple(era[0])]
    candidates = within or admitted[-1:]  # an era older than every image: the oldest admitted
    if authors is not None and authors[0] in candidates:
        candidates = [v for v in candidates if minor_tuple(v) <= minor_tuple(authors[0])]
    # Last in the order below: on a tie in source builds, the newer Python wins.
    candidates += _past_end_of_life(constraint)
    gaps = {version: missing(version) for version in candidates}
    chosen = min(candidates, key=lambda v: (len(gaps[v]), -minor_tuple(v)[1]))
    capped = authors is not None and chosen == authors[0] and chosen != admitted[0]
    reason = (
        f"{authors[1]} runs python:{chosen}, and {constraint or 'the project'} admits it"
        if authors is not None and capped
        else _reason(chosen, constraint, admitted, era, gaps, len(compiled))
    )
    return PythonChoice(
        version=chosen,
        reason=reason,
        source_builds=gaps[chosen],
    )


def _refuse_outside(pinned: str, constraint: str | None) -> None:
    """Poetry refuses to install a project on a Python its constraint leaves out ("Current
    Python version 3.11.2 is not allowed by the project (^3.12)"), late in the build: said
    before anything is built. The image's Python is that minor's newest release."""
    if constraint is None:
        return
    specifiers, known = to_specifier_set(constraint), {**OFFICIAL_PYTHONS, **PAST_END_OF_LIFE}
    release = known.get(pinned, f"{pinned}.0")
    if specifiers.contains(release, True):
        return
    admitted = [minor for minor, patch in known.items() if specifiers.contains(patch, True)]
    instead = f"one it admits ({', '.join(reversed(admitted))})" if admitted else "another one"
    msg = (
        f"python-version {pinned} is outside the project's Python constraint {constraint!r}: "
        f"Poetry would refuse to install the project on Python {release} once the image is "
        f"built. Choose {instead}, or leave python-version out."
    )
    raise ConfigurationError(msg)


def _past_end_of_life(constraint: str | None) -> list[str]:
    specifiers = to_specifier_set(constraint or "")
    return [m for m, patch in PAST_END_OF_LIFE.items() if specifiers.contains(patch, True)]


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
    """X.Y.Z when the constraint is one `==X.Y.Z` of a minor with official images (one past
    its end of life too: andrekovac/django-poetry-rest-api pins 3.9.12), else None."""
    pins = [s.version for s in specifiers if s.operator in ("==", "===")]
    if len(pins) != 1 or not re.fullmatch(r"3\.\d+\.\d+", pins[0]):
        return None
    minor = pins[0].rsplit(".", 1)[0]
    official = minor in OFFICIAL_PYTHONS or minor in PAST_END_OF_LIFE
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
    newer = sorted((v for v in gaps if minor_tuple(v) > minor_tuple(chosen)), key=minor_tuple)
    if gaps[chosen]:
        fewest = (
            f"{newest}; no candidate has wheels for every compiled package, and {chosen} builds "
            f"the fewest from source ({', '.join(gaps[chosen])})"
        )
        if newer and chosen in PAST_END_OF_LIFE:
            return f"{fewest}, where {newer[0]} builds {_some(gaps[newer[0]])}"
        return fewest
    if chosen == admitted[0]:
        return newest + covered
    if newer:
        return f"{newest}, but {newer[0]} has no wheel of {_some(gaps[newer[0]])}" + covered
    assert era is not None, "only the era bounds a choice below the newest without a gap"
    return f"{newest}, but the lock was written {era[1]}, before Python {_next(chosen)}" + covered


def _some(packages: Sequence[str]) -> str:
    more = f" and {len(packages) - 3} more" if len(packages) > 3 else ""
    return ", ".join(packages[:3]) + more


def lock_era(lock: Lock) -> tuple[str, str] | None:
    """(newest Python of the lock's time, what says so), from the newest CPython a locked
    wheel was built for and the Poetry that wrote the lock, whichever is later."""
    eras = _eras()
    evidence: list[tuple[str, str]] = []
    if lock.poetry_version is not None:
        minor = ".".join(lock.poetry_version.split(".")[:2])
        newest_known = max(eras["poetry"], key=minor_tuple)
        if minor not in eras["poetry"] and minor_tuple(minor) > minor_tuple(newest_known):
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
    return max(evidence, key=lambda e: minor_tuple(e[0])) if evidence else None


def _eras() -> dict[str, Any]:
    return tables.read_table(ERAS_FILE)


def _next(version: str) -> str:
    major, minor = minor_tuple(version)
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


def end_of_life_warning(python: str, *, pinned: bool) -> str:
    """A sentence for a Python past its end of life ("3.10", "3.10.13"), else ""."""
    ended = END_OF_LIFE.get(".".join(python.split(".")[:2]))
    if ended is None:
        return ""
    why = (
        "python-version asks for it"
        if pinned
        else "the lock bounds the choice to it (`quatrain inspect` says how)"
    )
    return (
        f"Python {python} is past its end of life ({ended}): its images get no more security "
        f"fixes, and {why}. A lock with newer packages, or python-version, moves the project "
        "to a maintained Python."
    )

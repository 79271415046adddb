"""Which official `python` image a project gets: the Python version and the tags.

The table is what docker-library/python publishes (checked November 2026). It is data, not
a guess at run time: quatrain renders files without a network, and the user can always pin
`python-version` to something newer than this table knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from quatrain.errors import ConfigurationError, ProjectError

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


@dataclass(frozen=True, kw_only=True)
class BaseImages:
    """The `FROM` references of the stages, written with the Dockerfile's build arguments."""

    python_version: str
    debian_release: str
    build_flavor: str  # "slim" or "full"
    build_override: str | None = None  # the base-image option, used as it is
    runtime_override: str | None = None  # the runtime-image option

    @property
    def build(self) -> str:
        if self.build_override:
            return self.build_override
        suffix = "-slim" if self.build_flavor == "slim" else ""
        return f"python:${{PYTHON_VERSION}}{suffix}-${{DEBIAN_RELEASE}}"

    @property
    def runtime(self) -> str:
        return self.runtime_override or "python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}"


def choose_python(constraint: str | None, pinned: str | None) -> str:
    """The newest official Python X.Y that the project's constraint admits, or the pinned one."""
    if pinned is not None:
        if not re.fullmatch(r"3\.\d+", pinned):
            msg = f"python-version must look like 3.12 (major.minor), not {pinned!r}."
            raise ConfigurationError(msg)
        return pinned
    specifiers = to_specifier_set(constraint or "")
    for minor, patch in OFFICIAL_PYTHONS.items():
        if specifiers.contains(patch, prereleases=True):
            return minor
    msg = (
        f"No official Python image satisfies the project's Python constraint {constraint!r} "
        f"(known: {', '.join(OFFICIAL_PYTHONS)}). Widen the constraint, or set "
        "python-version in [tool.quatrain] if you know an image that fits."
    )
    raise ProjectError(msg)


def to_specifier_set(constraint: str) -> SpecifierSet:
    """Turn a Poetry or PEP 440 constraint into one PEP 440 set.

    `||` alternatives are narrowed to the first one that is not empty, which is
    enough to pick an interpreter: ``^3.11`` -> ``>=3.11,<4.0``.
    """
    alternatives = [a.strip() for a in constraint.split("||")]
    try:
        sets = [SpecifierSet(",".join(_pep440(a))) for a in alternatives if a]
    except InvalidSpecifier as e:
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

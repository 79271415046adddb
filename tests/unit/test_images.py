from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from quatrain.errors import ConfigurationError, ProjectError
from quatrain.images import (
    OFFICIAL_PYTHONS,
    BaseImages,
    check_debian_release,
    choose_python,
    to_specifier_set,
)

NEWEST = next(iter(OFFICIAL_PYTHONS))


def test_the_table_of_official_pythons_is_newest_first_with_a_patch_of_each_minor() -> None:
    minors = [Version(minor) for minor in OFFICIAL_PYTHONS]
    assert minors == sorted(minors, reverse=True)
    assert [patch.rsplit(".", 1)[0] for patch in OFFICIAL_PYTHONS.values()] == list(
        OFFICIAL_PYTHONS
    )


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^3.11", NEWEST),
        ("^3.10.2", NEWEST),
        (">=3.11", NEWEST),
        ("~=3.11", NEWEST),
        (">=3.11,<3.13", "3.12"),
        (">=3.11, <3.13", "3.12"),
        (">=3.11 <3.13", "3.12"),
        ("~3.12", "3.12"),
        ("~3.11.4", "3.11"),
        ("3.11.*", "3.11"),
        ("<3.12,!=3.11.*", "3.10"),
        (">=3.10 || >=3.8,<3.9", NEWEST),
        (">=3.8,<3.9 || >=3.10,<3.12", "3.11"),
        (">=3.7,<3.8 || ~3.12", "3.12"),
        ("*", NEWEST),
        ("", NEWEST),
    ],
)
def test_the_newest_official_python_that_the_constraint_admits_is_chosen(
    constraint: str, expected: str
) -> None:
    assert choose_python(constraint, None) == expected


def test_caret_constraint_picks_the_newest_python_below_the_next_major() -> None:
    assert to_specifier_set("^3.11") == SpecifierSet(">=3.11,<4")
    assert choose_python("^3.11", None) == NEWEST


def test_tilde_constraint_allows_only_patch_releases_of_its_minor() -> None:
    assert to_specifier_set("~3.12") == SpecifierSet(">=3.12,<3.13")
    assert to_specifier_set("~3") == SpecifierSet(">=3,<4")


def test_alternatives_narrow_to_the_one_that_admits_the_newest_python() -> None:
    assert to_specifier_set(">=3.8,<3.9 || >=3.10,<3.12") == SpecifierSet(">=3.10,<3.12")


def test_no_constraint_gives_the_newest_official_python() -> None:
    assert choose_python(None, None) == NEWEST


def test_a_pinned_python_version_wins_over_the_constraint() -> None:
    assert choose_python(">=3.11,<3.13", "3.14") == "3.14"
    assert choose_python(None, "3.99") == "3.99"


@pytest.mark.parametrize("pinned", ["3.12.1", "3", "python3.12", "3.12-slim", ""])
def test_a_pinned_python_version_that_is_not_major_minor_is_a_configuration_error(
    pinned: str,
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        choose_python(None, pinned)

    assert str(raised.value) == (
        f"python-version must look like 3.12 (major.minor), not {pinned!r}."
    )


def test_a_constraint_no_official_python_satisfies_is_a_project_error() -> None:
    with pytest.raises(ProjectError) as raised:
        choose_python(">=2.7,<3.0 || <3.8", None)

    assert str(raised.value) == (
        "No official Python image satisfies the project's Python constraint "
        f"'>=2.7,<3.0 || <3.8' (known: {', '.join(OFFICIAL_PYTHONS)}). Widen the constraint, "
        "or set python-version in [tool.quatrain] if you know an image that fits."
    )


def test_a_constraint_that_is_not_a_version_constraint_is_a_project_error() -> None:
    with pytest.raises(ProjectError) as raised:
        choose_python(">=three", None)

    assert str(raised.value) == (
        f"The project's Python constraint '>=three' is not one quatrain can read "
        f"({raised.value.__cause__})."
    )


@pytest.mark.parametrize(
    ("flavor", "build"),
    [
        ("slim", "python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}"),
        ("full", "python:${PYTHON_VERSION}-${DEBIAN_RELEASE}"),
    ],
)
def test_the_build_image_follows_the_flavor_and_the_runtime_image_is_always_slim(
    flavor: str, build: str
) -> None:
    images = BaseImages(python_version="3.12", debian_release="bookworm", build_flavor=flavor)

    assert images.build == build
    assert images.runtime == "python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}"


def test_the_image_options_replace_the_official_images_whatever_the_flavor() -> None:
    images = BaseImages(
        python_version="3.12",
        debian_release="bookworm",
        build_flavor="full",
        build_override="registry.example.org/python:3.12",
        runtime_override="gcr.io/distroless/python3",
    )

    assert (images.build, images.runtime) == (
        "registry.example.org/python:3.12",
        "gcr.io/distroless/python3",
    )


@pytest.mark.parametrize("release", ["trixie", "bookworm"])
def test_a_debian_release_with_official_images_is_accepted(release: str) -> None:
    assert check_debian_release(release) == release


def test_a_debian_release_without_official_images_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_debian_release("bullseye")

    assert str(raised.value) == (
        "debian-release 'bullseye' has no official python images; choose one of trixie, bookworm."
    )

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from quatrain.choosing.images import BaseImages, check_debian_release
from quatrain.choosing.python_choice import (
    OFFICIAL_PYTHONS,
    PythonChoice,
    choose_python,
    end_of_life_warning,
    to_specifier_set,
)
from quatrain.errors import ConfigurationError, ProjectError
from quatrain.reading.lock import Lock, load_lock
from quatrain.reading.wheels import runtime_packages
from unit.conftest import lock_text, locked

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
    assert choose_python(constraint, None).version == expected


def test_caret_constraint_picks_the_newest_python_below_the_next_major() -> None:
    assert to_specifier_set("^3.11") == SpecifierSet(">=3.11,<4")
    assert choose_python("^3.11", None).version == NEWEST


def test_tilde_constraint_allows_only_patch_releases_of_its_minor() -> None:
    assert to_specifier_set("~3.12") == SpecifierSet(">=3.12,<3.13")
    assert to_specifier_set("~3") == SpecifierSet(">=3,<4")


def test_alternatives_narrow_to_the_one_that_admits_the_newest_python() -> None:
    assert to_specifier_set(">=3.8,<3.9 || >=3.10,<3.12") == SpecifierSet(">=3.10,<3.12")


def test_no_constraint_gives_the_newest_official_python() -> None:
    assert choose_python(None, None).version == NEWEST


def test_a_pinned_python_version_wins_over_the_choice_within_the_constraint() -> None:
    assert choose_python(">=3.11,<3.15", "3.11").version == "3.11"
    assert choose_python(None, "3.99").version == "3.99"
    assert choose_python(">=3.11", "3.99").version == "3.99"  # newer than the table knows


@pytest.mark.parametrize(
    ("constraint", "pinned", "instead"),
    [
        ("^3.12", "3.11", "one it admits (3.12, 3.13, 3.14, 3.15)"),
        (">=3.11,<3.13", "3.14", "one it admits (3.11, 3.12)"),
        (">=3.9,<3.10", "3.12", "one it admits (3.9)"),
        ("==3.8.*", "3.12", "another one"),
    ],
)
def test_a_pinned_python_version_outside_the_constraint_is_refused_before_any_build(
    constraint: str, pinned: str, instead: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        choose_python(constraint, pinned)

    assert str(raised.value) == (
        f"python-version {pinned} is outside the project's Python constraint {constraint!r}: "
        f"Poetry would refuse to install the project on Python "
        f"{choose_release(pinned)} once the image is built. Choose {instead}, or leave "
        "python-version out."
    )


def choose_release(minor: str) -> str:
    return {"3.11": "3.11.16", "3.12": "3.12.14", "3.14": "3.14.7"}[minor]


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


# --- the Python the lock can serve -------------------------------------------------------

MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"


def _lock(*entries: str, poetry: str | None = "2.5.1", lock_version: str = "2.1") -> Lock:
    lock = parse_lock(lock_text(*entries, poetry=poetry, lock_version=lock_version))
    assert lock is not None
    return lock


def parse_lock(text: str) -> Lock | None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "poetry.lock").write_text(text)
        return load_lock(Path(tmp) / "poetry.lock")


def _compiled(name: str, *pythons: str, groups: tuple[str, ...] = ("main",)) -> str:
    return locked(
        name, "1.0", groups=groups, wheel_tags=[f"cp{p}-cp{p}-{MANYLINUX}" for p in pythons]
    )


def _choose(lock: Lock, constraint: str = "^3.9", pinned: str | None = None) -> PythonChoice:
    return choose_python(constraint, pinned, lock=lock, runtime=runtime_packages(lock))


def test_the_python_is_the_newest_for_which_every_compiled_runtime_package_has_a_wheel() -> None:
    lock = _lock(
        _compiled("pydantic-core", "310", "311", "312", "313"),
        _compiled("psycopg2-binary", "310", "311", "312"),
        locked("flask"),
    )

    choice = _choose(lock)

    assert choice.version == "3.12"
    assert choice.source_builds == ()
    assert choice.reason == (
        f"the newest official Python that ^3.9 admits is {NEWEST}, but 3.13 has no wheel of "
        "psycopg2-binary 1.0; all 2 compiled packages have wheels for 3.12"
    )


def test_a_development_only_compiled_package_does_not_bound_the_python() -> None:
    lock = _lock(
        _compiled("pydantic-core", "312", "313"), _compiled("mypy", "311", groups=("dev",))
    )

    assert _choose(lock).version == "3.13"


def test_an_abi3_wheel_serves_every_python_after_its_own() -> None:
    lock = _lock(
        locked("cryptography", "44.0", wheel_tags=[f"cp39-abi3-{MANYLINUX}"]),
        _compiled("pydantic-core", "312", "313", "314"),
        poetry="2.2.1",
    )

    assert _choose(lock).version == "3.14"


def test_a_package_that_applies_only_on_windows_does_not_bound_the_python() -> None:
    windows_only = locked("pywin32", "306", wheel_tags=["cp312-cp312-win_amd64"]) + (
        'markers = "sys_platform == \\"win32\\""\n'
    )
    lock = _lock(windows_only, _compiled("pydantic-core", "312", "313"))

    assert _choose(lock).version == "3.13"


def test_a_pure_python_lock_gets_no_python_newer_than_the_poetry_that_wrote_it() -> None:
    lock = _lock(locked("flask"), locked("typing-extensions"), poetry="1.8.5", lock_version="2.0")

    choice = _choose(lock)

    assert choice.version == "3.13"
    assert choice.reason == (
        f"the newest official Python that ^3.9 admits is {NEWEST}, but the lock was written by "
        "Poetry 1.8.5, before Python 3.14"
    )


@pytest.mark.parametrize(
    ("poetry", "era"), [("1.8.0", "3.12"), ("1.8.3", "3.12"), ("1.8.4", "3.13"), ("1.8", "3.13")]
)
def test_a_patch_release_before_a_python_is_of_the_era_before_it(poetry: str, era: str) -> None:
    """Poetry 1.8.3 (2024-05-08) locked before Python 3.13 (2024-10-07), 1.8.4 after; frogmouth's
    Poetry 1.8.2 lock holds a typing-extensions that fails at import on 3.13."""
    lock = _lock(locked("flask"), locked("typing-extensions"), poetry=poetry, lock_version="2.0")

    assert _choose(lock).version == era


def test_a_lock_without_a_writer_is_dated_by_its_format() -> None:
    lock = _lock(locked("flask"), poetry=None, lock_version="1.1")

    assert _choose(lock).version == "3.10"


def test_a_wheel_for_a_newer_cpython_dates_the_lock_later_than_its_writer() -> None:
    lock = _lock(_compiled("pyyaml", "311", "312", "313"), poetry="1.4.2", lock_version="2.0")

    assert _choose(lock).version == "3.13"


def test_a_lock_older_than_every_official_python_gets_the_oldest_one_admitted() -> None:
    lock = _lock(locked("flask"), poetry="1.0.10", lock_version="1.0")

    assert _choose(lock).version == "3.10"


def test_when_no_python_has_every_wheel_the_one_with_fewest_source_builds_wins() -> None:
    lock = _lock(
        _compiled("markupsafe", "38"),
        _compiled("psycopg2-binary", "38", "39", "310"),
        poetry="1.1.11",
        lock_version="1.1",
    )

    choice = _choose(lock, "^3.8")

    assert choice.version == "3.10"
    assert choice.source_builds == ("markupsafe 1.0",)


def test_a_python_past_its_end_of_life_wins_only_by_fewer_source_builds() -> None:
    """sthasam2/Bumblebee: numpy 1.21.1 has wheels up to 3.9 and does not build for 3.10, which
    is past its end of life as well."""
    lock = _lock(
        _compiled("numpy", "38", "39"),
        _compiled("psycopg2", "38"),
        poetry="1.1.11",
        lock_version="1.1",
    )

    choice = _choose(lock, "^3.8")

    assert (choice.version, choice.source_builds) == ("3.9", ("psycopg2 1.0",))
    assert choice.reason == (
        "the newest official Python that ^3.8 admits is 3.15; no candidate has wheels for every "
        "compiled package, and 3.9 builds the fewest from source (psycopg2 1.0), where 3.10 "
        "builds numpy 1.0, psycopg2 1.0"
    )


def test_a_python_past_its_end_of_life_with_every_wheel_says_what_the_next_one_lacks() -> None:
    lock = _lock(_compiled("numpy", "38", "39"), poetry="1.1.11", lock_version="1.1")

    choice = _choose(lock, "^3.8")

    assert (choice.version, choice.source_builds) == ("3.9", ())
    assert choice.reason == (
        "the newest official Python that ^3.8 admits is 3.15, but 3.10 has no wheel of numpy "
        "1.0; its compiled package has wheels for 3.9"
    )


@pytest.mark.parametrize(
    ("constraint", "pythons", "chosen"),
    [
        ("^3.10", ("38", "39"), "3.10"),  # the constraint does not admit 3.9
        ("^3.8", ("38", "39", "310"), "3.10"),  # 3.10 has every wheel
        ("^3.8", ("38",), "3.10"),  # 3.9 builds as many from source: the newer wins
    ],
)
def test_a_python_past_its_end_of_life_is_not_chosen_where_it_builds_as_many_from_source(
    constraint: str, pythons: tuple[str, ...], chosen: str
) -> None:
    lock = _lock(_compiled("numpy", *pythons), poetry="1.1.11", lock_version="1.1")

    assert _choose(lock, constraint).version == chosen


def test_a_python_past_its_end_of_life_is_never_chosen_for_the_era_of_a_pure_lock() -> None:
    """A lock of format 1.0 dates from Python 3.8's time; its pure packages need no 3.9."""
    lock = _lock(locked("flask"), poetry="1.0.10", lock_version="1.0")

    assert _choose(lock, "^3.8").version == "3.10"


def test_a_pinned_python_the_lock_cannot_serve_names_the_packages_that_build_from_source() -> None:
    lock = _lock(_compiled("asyncpg", "311", "312"), locked("flask"))

    choice = _choose(lock, pinned="3.13")

    assert (choice.version, choice.reason, choice.source_builds) == (
        "3.13",
        "python-version",
        ("asyncpg 1.0",),
    )


def test_a_python_constraint_with_a_letter_for_a_number_is_a_project_error() -> None:
    with pytest.raises(ProjectError, match=r"'\^3\.x' is not one quatrain can read"):
        choose_python("^3.x", None)


def test_a_constraint_of_one_patch_release_past_its_end_of_life_gets_that_release() -> None:
    """andrekovac/django-poetry-rest-api: `python = "3.9.12"`, whose images exist (on
    bullseye only, which the release check then says)."""
    assert _choose(_lock(locked("django")), "3.9.12").version == "3.9.12"


def test_a_constraint_of_one_patch_release_gets_that_release() -> None:
    lock = _lock(_compiled("pydantic-core", "311"), locked("fastapi"))

    assert _choose(lock, "3.11.7").version == "3.11.7"


def test_a_python_past_its_end_of_life_is_a_warning_whether_chosen_or_pinned() -> None:
    assert end_of_life_warning("3.10", pinned=False) == (
        "Python 3.10 is past its end of life (October 2026): its images get no more security "
        "fixes, and the lock bounds the choice to it (`quatrain inspect` says how). A lock with "
        "newer packages, or python-version, moves the project to a maintained Python."
    )
    assert "(October 2025)" in end_of_life_warning("3.9.18", pinned=True)
    assert "and python-version asks for it." in end_of_life_warning("3.9", pinned=True)
    maintained = [v for v in OFFICIAL_PYTHONS if v != "3.10"]
    assert [end_of_life_warning(v, pinned=False) for v in maintained] == [""] * len(maintained)


def test_the_python_of_the_authors_own_dockerfile_caps_the_choice_when_the_constraint_admits_it(
    tmp_path: Path,
) -> None:
    # KuzbassPro/kdkpbot (round 11): `>=3.11`, `FROM python:3.11-slim`; python-telegram-bot 20.7
    # fails on 3.13 at start, which its authors never ran.
    from quatrain.pipeline import make_plan
    from unit.conftest import flask_project

    files = {"shop/__init__.py": "from flask import Flask\napp = Flask(__name__)\n"}
    root = flask_project(tmp_path, {**files, "Dockerfile": "FROM python:3.11-slim\nCOPY . .\n"})
    plan = make_plan(root, env={}, cli={})
    assert plan.base_images.python_version == "3.11"
    assert plan.base_images.python_reason.startswith("Dockerfile runs python:3.11")
    # a Python the constraint does not admit (or a variable) says nothing
    (root / "Dockerfile").write_text("FROM python:3.8-slim AS old\nFROM python:${V}\n")
    assert make_plan(root, env={}, cli={}).base_images.python_version == NEWEST


def test_the_authors_python_is_one_candidate_among_the_constraint_s_not_a_pin() -> None:
    assert choose_python(">=3.11", None, authors=("3.12", "Dockerfile")).version == "3.12"
    assert choose_python(">=3.13", None, authors=("3.11", "Dockerfile")).version == NEWEST

"""poetry.lock in each format Poetry has written: one shape, and clean errors for damage."""

from __future__ import annotations

from pathlib import Path

import pytest

from quatrain.errors import ProjectError
from quatrain.reading.lock import load_lock
from quatrain.reading.wheels import Platform, applies
from unit.conftest import lock_text, locked, write_tree

# A lock as Poetry 1.1 writes it: `category` for groups, file names under [metadata.files].
LOCK_1_1 = """
[[package]]
name = "markupsafe"
version = "2.0.1"
description = "Safely add untrusted strings to HTML/XML markup."
category = "main"
optional = false
python-versions = ">=3.6"

[[package]]
name = "psycopg2"
version = "2.9.1"
description = "psycopg2 - Python-PostgreSQL Database Adapter"
category = "main"
optional = true
python-versions = ">=3.6"

[[package]]
name = "pytest"
version = "6.2.5"
description = "pytest: simple powerful testing with Python"
category = "dev"
optional = false
python-versions = ">=3.6"

[extras]
postgres = ["psycopg2"]

[metadata]
lock-version = "1.1"
python-versions = "^3.9"
content-hash = "abc"

[metadata.files]
MarkupSafe = [
    {file = "MarkupSafe-2.0.1-cp39-cp39-manylinux2010_x86_64.whl", hash = "sha256:00"},
    {file = "MarkupSafe-2.0.1.tar.gz", hash = "sha256:01"},
]
psycopg2 = [
    {file = "psycopg2-2.9.1.tar.gz", hash = "sha256:02"},
]
pytest = [
    {file = "pytest-6.2.5-py3-none-any.whl", hash = "sha256:03"},
]
"""


def test_a_lock_1_1_keeps_its_categories_as_groups_and_its_files_by_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {"poetry.lock": LOCK_1_1})

    lock = load_lock(tmp_path / "poetry.lock")

    assert lock is not None
    assert lock.lock_version == "1.1"
    assert [(p.name, p.groups, p.optional) for p in lock.packages] == [
        ("markupsafe", ("main",), False),
        ("psycopg2", ("main",), True),
        ("pytest", ("dev",), False),
    ]
    assert lock.packages[0].wheels == ("MarkupSafe-2.0.1-cp39-cp39-manylinux2010_x86_64.whl",)
    assert lock.packages[1].files == ("psycopg2-2.9.1.tar.gz",)
    assert lock.extras == {"postgres": ("psycopg2",)}


def test_a_lock_2_1_keeps_the_main_groups_marker(tmp_path: Path) -> None:
    entry = locked("colorama", "0.4.6", groups=["main", "dev"]) + (
        'markers = {main = "sys_platform == \\"win32\\"", dev = "python_version >= \\"3.9\\""}\n'
    )
    write_tree(tmp_path, {"poetry.lock": lock_text(entry)})

    lock = load_lock(tmp_path / "poetry.lock")

    assert lock is not None
    assert lock.packages[0].markers == 'sys_platform == "win32"'


@pytest.mark.parametrize(
    ("damage", "key"),
    [
        ('[[package]]\nname = "flask"\n', "package[0].version"),
        ('[[package]]\nname = "flask"\nversion = 3\n', "package[0].version"),
        ('[[package]]\nversion = "1"\nname = "flask"\ngroups = "main"\n', "package[0].groups"),
        ('[[package]]\nname = "a"\nversion = "1"\nfiles = "a.whl"\n', "package[0].files"),
        (
            '[[package]]\nname = "a"\nversion = "1"\nfiles = [{hash = "x"}]\n',
            "package[0].files[0].file",
        ),
        ('[[package]]\nname = "a"\nversion = "1"\noptional = "no"\n', "package[0].optional"),
        ("package = 1\n", "package"),
        ('[metadata]\nlock-version = "abc"\n', "metadata.lock-version"),
        ("metadata = 3\n", "metadata"),
        ('[extras]\nweb = "flask"\n', "extras.web"),
        # longer than any real package's: the 70,000-digit version packaging cannot compare
        (f'[[package]]\nname = "a"\nversion = "1{"0" * 70_000}"\n', "package[0].version"),
        (f'[[package]]\nname = "a{"b" * 200}"\nversion = "1"\n', "package[0].name"),
    ],
)
def test_a_damaged_lock_is_a_project_error_naming_the_file_and_key(
    tmp_path: Path, damage: str, key: str
) -> None:
    write_tree(tmp_path, {"poetry.lock": damage})

    with pytest.raises(ProjectError) as raised:
        load_lock(tmp_path / "poetry.lock")

    assert f"{tmp_path / 'poetry.lock'}" in str(raised.value)
    assert f"`{key}`" in str(raised.value) or f"{key} =" in str(raised.value)


def test_a_header_that_names_no_real_version_gives_no_writer(tmp_path: Path) -> None:
    write_tree(tmp_path, {"poetry.lock": lock_text(locked("flask"), poetry="2x.1")})

    lock = load_lock(tmp_path / "poetry.lock")

    assert lock is not None
    assert lock.poetry_version is None


def test_a_lock_that_is_not_utf8_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_bytes(b'[metadata]\nlock-version = "2.1"\n# \xff\xfe\n')

    with pytest.raises(ProjectError, match="is not UTF-8 text"):
        load_lock(tmp_path / "poetry.lock")


def test_a_deeply_nested_lock_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")

    with pytest.raises(ProjectError):
        load_lock(tmp_path / "poetry.lock")


def test_a_marker_no_python_can_be_compared_with_is_a_project_error_naming_the_package(
    tmp_path: Path,
) -> None:
    lock = lock_text(locked("flask", "3.1.0")).replace(
        'name = "flask"\n', 'name = "flask"\nmarkers = "python_version ~= \\"x\\""\n', 1
    )
    write_tree(tmp_path, {"poetry.lock": lock})
    flask = load_lock(tmp_path / "poetry.lock").packages[0]  # type: ignore[union-attr]

    with pytest.raises(ProjectError) as raised:
        applies(flask, Platform(python="3.12"))

    assert str(raised.value).startswith(
        'poetry.lock: flask\'s markers (python_version ~= "x") cannot be evaluated: '
    )


def test_a_lock_without_a_lock_version_is_refused_as_older_than_poetry_1_0(tmp_path: Path) -> None:
    # Poetry 0.12's lock: [metadata] with a content-hash and no lock-version (round 10's
    # r2d2-discord-bot); Poetry 2 in the build refuses it as incompatible.
    lock = tmp_path / "poetry.lock"
    lock.write_text(
        '[[package]]\nname = "flask"\nversion = "1.1.2"\ncategory = "main"\noptional = false\n'
        'python-versions = "*"\n\n[metadata]\ncontent-hash = "abc"\npython-versions = "^3.8"\n',
        encoding="utf-8",
    )

    with pytest.raises(ProjectError) as raised:
        load_lock(lock)

    assert str(raised.value) == (
        f"{lock} has no metadata.lock-version: Poetry before 1.0 wrote it, and Poetry 2, which "
        "the images run, cannot read it. Run `poetry lock` with a current Poetry, commit "
        "poetry.lock, then quatrain again."
    )

from __future__ import annotations

from pathlib import Path

import pytest

from quatrain.errors import ProjectError
from quatrain.project import (
    Lock,
    LockedPackage,
    PackageDir,
    canonical_name,
    load_lock,
    load_project,
)
from unit.conftest import FLASK_LOCK, lock_text, locked, pep621, write_tree

POETRY_1_8 = """
    [tool.poetry]
    name = "coach-planner"
    version = "0.4.0"
    description = "Plans coaching sessions."
    license = "MIT"
    homepage = "https://coach.example.org"
    repository = "https://git.example.org/coach"

    [tool.poetry.dependencies]
    python = "^3.11"
    Flask = "^3.0"
    gunicorn = "*"

    [tool.poetry.group.dev.dependencies]
    pytest = "^8.0"
"""


def test_a_pep621_project_is_read_from_the_project_table(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "coach-planner"
                version = "0.1.0"
                description = "Plans coaching sessions."
                license = "MIT"
                requires-python = ">=3.11,<4.0"
                dependencies = ["flask>=3.1,<4.0", "gunicorn>=23.0"]

                [project.urls]
                Repository = "https://git.example.org/coach"
                Homepage = "https://coach.example.org"

                [tool.quatrain]
                port = 9000
            """,
            "coach_planner/__init__.py": "",
        },
    )

    project = load_project(tmp_path)

    assert project.root == tmp_path
    assert project.name == "coach-planner"
    assert project.version == "0.1.0"
    assert project.description == "Plans coaching sessions."
    assert project.license == "MIT"
    assert project.urls == {
        "homepage": "https://coach.example.org",
        "repository": "https://git.example.org/coach",
    }
    assert project.python_constraint == ">=3.11,<4.0"
    assert project.package_mode is True
    assert project.packages == (PackageDir(name="coach_planner", path="coach_planner"),)
    assert project.import_names == ("coach_planner",)
    assert project.dependencies == ("flask", "gunicorn")
    assert project.lock is None
    assert project.tool_quatrain == {"port": 9000}


def test_a_poetry_1_8_project_is_read_from_the_tool_poetry_table_alone(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": POETRY_1_8, "coach_planner/__init__.py": ""})

    project = load_project(tmp_path)

    assert project.name == "coach-planner"
    assert project.version == "0.4.0"
    assert project.description == "Plans coaching sessions."
    assert project.license == "MIT"
    assert project.urls == {
        "homepage": "https://coach.example.org",
        "repository": "https://git.example.org/coach",
    }
    assert project.python_constraint == "^3.11"
    assert project.packages == (PackageDir(name="coach_planner", path="coach_planner"),)
    assert project.dependencies == ("flask", "gunicorn")
    assert project.tool_quatrain == {}


def test_a_flat_layout_package_is_found_beside_pyproject(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621("Coach.Planner"), "coach_planner/app.py": ""})

    project = load_project(tmp_path)

    assert project.packages == (PackageDir(name="coach_planner", path="coach_planner"),)
    assert project.packages[0].top == "coach_planner"


def test_a_src_layout_package_is_found_under_src(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {"pyproject.toml": pep621("coach-planner"), "src/coach_planner/__init__.py": ""}
    )

    project = load_project(tmp_path)

    assert project.packages == (PackageDir(name="coach_planner", path="src/coach_planner"),)
    assert project.packages[0].top == "src"


def test_a_single_module_project_is_found_as_a_py_file_beside_pyproject(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621("planner"), "planner.py": ""})

    project = load_project(tmp_path)

    assert project.packages == (PackageDir(name="planner", path="planner.py"),)
    assert project.import_names == ("planner",)


def test_a_single_module_under_src_is_found_as_poetry_core_finds_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621("planner"), "src/planner.py": ""})

    project = load_project(tmp_path)

    assert project.packages == (PackageDir(name="planner", path="src/planner.py"),)


def test_declared_packages_are_read_with_their_from_directory(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621(
                "coach-planner",
                extra="""
                    [tool.poetry]
                    packages = [{ include = "api", from = "src" }, { include = "tool.py" }]
                """,
            ),
            "src/api/__init__.py": "",
            "tool.py": "",
        },
    )

    project = load_project(tmp_path)

    assert project.packages == (
        PackageDir(name="api", path="src/api"),
        PackageDir(name="tool", path="tool.py"),
    )
    assert [p.top for p in project.packages] == ["src", "tool.py"]


def test_a_declared_package_that_does_not_exist_is_a_project_error(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621(
                extra="""
                    [tool.poetry]
                    packages = [{ include = "api", from = "src" }]
                """
            ),
        },
    )

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        "pyproject.toml declares the package `api` from `src`, "
        f"but {tmp_path / 'src' / 'api'} does not exist."
    )


def test_a_project_whose_package_cannot_be_found_is_a_project_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621("coach-planner"), "README.md": "hi\n"})

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        "Poetry would find no package for project `coach-planner`: there is no coach_planner/, "
        f"coach_planner.py, src/coach_planner/ or src/coach_planner.py in {tmp_path}. "
        "Declare the package in "
        '[tool.poetry] packages = [{include = "..."}], or set package-mode = false.'
    )


def test_a_directory_without_pyproject_is_a_project_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path} has no pyproject.toml, so it is not a Poetry project. "
        "Point quatrain at the directory that holds pyproject.toml and poetry.lock."
    )


def test_a_project_without_a_name_is_a_project_error_in_package_mode(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[project]\nversion = "1.0"\n'})

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / 'pyproject.toml'} names no project: set `name` in [project] "
        "(Poetry 2) or [tool.poetry] (Poetry 1.8)."
    )


def test_package_mode_false_needs_neither_a_name_nor_a_package(tmp_path: Path) -> None:
    root = tmp_path / "scripts-only"
    write_tree(
        root,
        {
            "pyproject.toml": """
                [tool.poetry]
                package-mode = false

                [tool.poetry.dependencies]
                python = ">=3.12"
                flask = "^3.1"
            """,
        },
    )

    project = load_project(root)

    assert project.name == "scripts-only"
    assert project.package_mode is False
    assert project.packages == ()
    assert project.version == "0"
    assert project.dependencies == ("flask",)


@pytest.mark.parametrize(
    ("table", "readme", "on_disk", "expected"),
    [
        ("project", 'readme = "README.md"', ["README.md"], ("README.md",)),
        ("project", 'readme = "README.md"', [], ()),
        (
            "project",
            'readme = { file = "README.rst", content-type = "text/x-rst" }',
            ["README.rst"],
            ("README.rst",),
        ),
        (
            "tool.poetry",
            'readme = ["README.md", "CHANGES.md"]',
            ["README.md", "CHANGES.md"],
            ("CHANGES.md", "README.md"),
        ),
        ("tool.poetry", 'readme = ["README.md", "CHANGES.md"]', ["README.md"], ("README.md",)),
    ],
    ids=["string", "string-missing", "table", "list", "list-one-missing"],
)
def test_the_readme_is_a_build_file_only_when_it_exists(
    tmp_path: Path, table: str, readme: str, on_disk: list[str], expected: tuple[str, ...]
) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": f'[{table}]\nname = "shop"\n{readme}\n',
            "shop/__init__.py": "",
            **dict.fromkeys(on_disk, "text\n"),
        },
    )

    assert load_project(tmp_path).build_files == expected


def test_license_files_in_the_root_are_build_files_and_missing_ones_are_not(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621().replace(
                "[project]\n",
                '[project]\nlicense = { file = "LICENSES/MIT.txt" }\n'
                'license-files = ["NOTICE", "AUTHORS"]\n',
            ),
            "shop/__init__.py": "",
            "LICENSE": "MIT\n",
            "LICENCE.txt": "MIT\n",
            "COPYING.LESSER": "LGPL\n",
            "NOTICE": "notice\n",
            "LICENSE_HEADER.md": "header\n",
        },
    )

    project = load_project(tmp_path)

    assert project.build_files == (
        "COPYING.LESSER",
        "LICENCE.txt",
        "LICENSE",
        "LICENSE_HEADER.md",
        "NOTICE",
    )
    assert project.license is None


def test_a_license_table_with_text_is_the_license(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621().replace(
                "[project]\n", '[project]\nlicense = { text = "BSD-3-Clause" }\n'
            ),
            "shop/__init__.py": "",
        },
    )

    project = load_project(tmp_path)

    assert project.license == "BSD-3-Clause"
    assert project.build_files == ()


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        (
            '[project]\nname = "shop"\nrequires-python = ">=3.10"\n'
            '[tool.poetry.dependencies]\npython = "~3.12"\n',
            "~3.12",
        ),
        ('[project]\nname = "shop"\nrequires-python = ">=3.10"\n', ">=3.10"),
        ('[tool.poetry]\nname = "shop"\n[tool.poetry.dependencies]\npython = "^3.11"\n', "^3.11"),
        ('[project]\nname = "shop"\n', None),
    ],
    ids=["tool-poetry-wins", "requires-python", "tool-poetry-only", "none"],
)
def test_the_python_constraint_of_tool_poetry_wins_over_requires_python(
    tmp_path: Path, pyproject: str, expected: str | None
) -> None:
    write_tree(tmp_path, {"pyproject.toml": pyproject, "shop.py": ""})

    assert load_project(tmp_path).python_constraint == expected


def test_dependencies_of_both_tables_are_merged_under_canonical_names(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621(
                dependencies=[
                    "Flask_SQLAlchemy[asyncio] >=3.1",
                    "gunicorn (>=23)",
                    "Zope.Interface; python_version < '4'",
                    "requests @ https://example.org/requests-2.32.0.tar.gz",
                    "ruamel.yaml",
                ],
                extra="""
                    [tool.poetry.dependencies]
                    python = ">=3.11"
                    Flask = "^3.1"
                    GUNICORN = "*"
                """,
            ),
            "shop/__init__.py": "",
        },
    )

    assert load_project(tmp_path).dependencies == (
        "flask",
        "flask-sqlalchemy",
        "gunicorn",
        "requests",
        "ruamel-yaml",
        "zope-interface",
    )


def test_canonical_name_follows_pep_503() -> None:
    assert canonical_name("Flask_SQLAlchemy") == "flask-sqlalchemy"
    assert canonical_name("zope.interface") == "zope-interface"
    assert canonical_name("A-_.b") == "a-b"


def test_a_lock_version_2_1_lock_is_read_with_its_header_and_groups(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621(),
            "shop/__init__.py": "",
            "poetry.lock": lock_text(
                locked("Flask", "3.1.3"),
                locked("pytest", "9.0.0", groups=["dev"]),
                locked("colorama", "0.4.6", groups=["main", "dev"]),
                poetry="2.1.4",
            ),
        },
    )

    lock = load_project(tmp_path).lock

    assert lock == Lock(
        lock_version="2.1",
        poetry_version="2.1.4",
        packages=(
            LockedPackage(name="Flask", version="3.1.3", groups=("main",), has_wheel=True),
            LockedPackage(name="pytest", version="9.0.0", groups=("dev",), has_wheel=True),
            LockedPackage(name="colorama", version="0.4.6", groups=("main", "dev"), has_wheel=True),
        ),
    )
    assert lock.package("flask") == lock.packages[0]
    assert lock.package("PyTest") == lock.packages[1]
    assert lock.package("gunicorn") is None


def test_a_poetry_1_8_lock_has_no_groups_so_every_package_counts_as_main(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": POETRY_1_8,
            "coach_planner/__init__.py": "",
            "poetry.lock": lock_text(
                locked("flask", "3.0.3", groups=None),
                locked("pytest", "8.3.2", groups=None),
                lock_version="2.0",
                poetry="1.8.3",
            ),
        },
    )

    lock = load_project(tmp_path).lock

    assert lock == Lock(
        lock_version="2.0",
        poetry_version="1.8.3",
        packages=(
            LockedPackage(name="flask", version="3.0.3", groups=("main",), has_wheel=True),
            LockedPackage(name="pytest", version="8.3.2", groups=("main",), has_wheel=True),
        ),
    )


def test_a_lock_without_its_header_line_has_no_poetry_version(tmp_path: Path) -> None:
    write_tree(tmp_path, {"poetry.lock": lock_text(locked("flask"), poetry=None)})

    lock = load_lock(tmp_path / "poetry.lock")

    assert lock is not None
    assert lock.poetry_version is None
    assert lock.lock_version == "2.1"


def test_a_package_locked_only_as_an_sdist_has_no_wheel(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621(),
            "shop/__init__.py": "",
            "poetry.lock": lock_text(locked("flask"), locked("pyyaml-c", "0.1", wheel=False)),
        },
    )

    lock = load_project(tmp_path).lock

    assert lock is not None
    assert [(p.name, p.has_wheel) for p in lock.packages] == [
        ("flask", True),
        ("pyyaml-c", False),
    ]


def test_a_lock_version_3_lock_is_a_project_error(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621(),
            "shop/__init__.py": "",
            "poetry.lock": lock_text(locked("flask"), lock_version="3.0", poetry="3.0.0"),
        },
    )

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / 'poetry.lock'} has lock-version 3.0, newer than this quatrain understands "
        "(2.x). Upgrade quatrain, or lock with the Poetry you used before."
    )


@pytest.mark.parametrize("broken", ["pyproject.toml", "poetry.lock"])
def test_invalid_toml_is_a_project_error_that_names_the_file(tmp_path: Path, broken: str) -> None:
    write_tree(
        tmp_path,
        {"pyproject.toml": pep621(), "shop/__init__.py": "", "poetry.lock": FLASK_LOCK},
    )
    (tmp_path / broken).write_text('[project\nname = "shop"\n', encoding="utf-8")

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    cause = raised.value.__cause__
    assert type(cause).__name__ == "TOMLDecodeError"
    assert str(raised.value) == (
        f"{tmp_path / broken} is not valid TOML ({cause}). Fix the file and run quatrain again."
    )

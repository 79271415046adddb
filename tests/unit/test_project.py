from __future__ import annotations

import sys
from pathlib import Path

import pytest

from quatrain.errors import ProjectError
from quatrain.reading.project import (
    PackageDir,
    canonical_name,
    content_hash,
    git_revision,
    load_lock,
    load_project,
)
from unit.conftest import FLASK_LOCK, lock_text, locked, pep621, write_project, write_tree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

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


def test_a_declared_package_that_does_not_exist_makes_an_application(tmp_path: Path) -> None:
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

    project = load_project(tmp_path)

    assert (project.package_mode, project.not_a_package) == (
        False,
        "[tool.poetry] packages declares `src/api`, which does not exist, so Poetry cannot "
        "build it",
    )


@pytest.mark.parametrize(
    ("packages", "key"),
    [
        ('"app"', "tool.poetry.packages"),
        ('[{ from = "src" }]', "tool.poetry.packages[0].include"),
        ('["app"]', "tool.poetry.packages[0]"),
        ('[{ include = "../../etc" }]', "tool.poetry.packages[0]"),
        ('[{ include = "/etc" }]', "tool.poetry.packages[0]"),
        ('[{ include = "app", from = 3 }]', "tool.poetry.packages[0].from"),
    ],
)
def test_a_packages_entry_of_the_wrong_shape_or_outside_the_project_is_a_project_error(
    tmp_path: Path, packages: str, key: str
) -> None:
    write_tree(
        tmp_path, {"pyproject.toml": pep621(extra=f"[tool.poetry]\npackages = {packages}\n")}
    )

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value).startswith(f"{tmp_path / 'pyproject.toml'}: `{key}` should be ")


def test_a_package_reached_through_a_symlink_out_of_the_project_is_a_project_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "outside").mkdir()
    project = tmp_path / "project"
    write_tree(
        project,
        {"pyproject.toml": pep621(extra='[tool.poetry]\npackages = [{ include = "app" }]\n')},
    )
    (project / "app").symlink_to(tmp_path / "outside")

    with pytest.raises(ProjectError, match="a path inside the project"):
        load_project(project)


def test_a_project_whose_package_cannot_be_found_is_an_application(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621("coach-planner"), "app/main.py": ""})

    project = load_project(tmp_path)

    assert (project.package_mode, project.packages) == (False, ())
    assert project.not_a_package == (
        "no package named like the project (coach_planner/, coach_planner.py or "
        "src/coach_planner/) and none declared in [tool.poetry] packages"
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
    ],
    ids=["string", "table", "list"],
)
def test_the_readmes_are_build_files(
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


@pytest.mark.parametrize(
    ("readme", "on_disk", "why"),
    [
        ('readme = "README.md"', [], ""),
        ('readme = ["README.md", "CHANGES.md"]', ["README.md"], ""),
        # FerdinaKusumah/sports: made where names are not case-sensitive
        (
            'readme = "README.md"',
            ["readme.md"],
            " (readme.md is, but names are case-sensitive in the image, as on Linux)",
        ),
    ],
    ids=["missing", "one-of-two-missing", "other-case"],
)
def test_a_readme_the_package_names_and_lacks_is_an_error_before_any_build(
    tmp_path: Path, readme: str, on_disk: list[str], why: str
) -> None:
    files = {"pyproject.toml": f'[tool.poetry]\nname = "shop"\n{readme}\n', "shop/__init__.py": ""}
    write_tree(tmp_path, {**files, **dict.fromkeys(on_disk, "text\n")})
    key = "tool.poetry.readme" if "[" not in readme else "tool.poetry.readme[1]"
    missing = "README.md" if "[" not in readme else "CHANGES.md"

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        f'{tmp_path / "pyproject.toml"} sets {key} = "{missing}", and the project has no such '
        f"file{why}. Poetry cannot build the package without it: rename the file, or fix the "
        "setting."
    )


def test_an_application_needs_no_readme(tmp_path: Path) -> None:
    """No package is built, so a readme that is not there is nobody's concern."""
    pyproject = '[tool.poetry]\nname = "shop"\npackage-mode = false\nreadme = "README.md"\n'
    write_tree(tmp_path, {"pyproject.toml": pyproject, "app.py": ""})

    assert load_project(tmp_path).build_files == ()


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
                content_hash="b" * 64,
            ),
        },
    )

    lock = load_project(tmp_path).lock

    assert lock is not None
    assert (lock.lock_version, lock.poetry_version, lock.content_hash) == ("2.1", "2.1.4", "b" * 64)
    assert [(p.name, p.version, p.groups) for p in lock.packages] == [
        ("Flask", "3.1.3", ("main",)),
        ("pytest", "9.0.0", ("dev",)),
        ("colorama", "0.4.6", ("main", "dev")),
    ]
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
                content_hash=None,
            ),
        },
    )

    lock = load_project(tmp_path).lock

    assert lock is not None
    assert (lock.lock_version, lock.poetry_version, lock.content_hash) == ("2.0", "1.8.3", None)
    assert [(p.name, p.version, p.groups) for p in lock.packages] == [
        ("flask", "3.0.3", ("main",)),
        ("pytest", "8.3.2", ("main",)),
    ]


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
    assert [(p.name, p.wheels) for p in lock.packages] == [
        ("flask", ("flask-1.0.0-py3-none-any.whl",)),
        ("pyyaml-c", ()),
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


# --- console scripts ------------------------------------------------------------------------


def test_scripts_are_read_from_project_scripts_and_poetry_1_8s_tables(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": pep621(
                extra="""
                    [project.scripts]
                    shop = "shop.cli:main"

                    [tool.poetry.scripts]
                    shop = "shop.old:main"
                    admin = { callable = "shop.admin:run", extras = ["admin"] }
                    migrate = "shop.db:migrate"
                    setup-db = { reference = "bin/setup-db.sh", type = "file" }
                """
            ),
            "shop/__init__.py": "",
        },
    )

    # [project.scripts] wins a name both tables give; a file script is no console script.
    assert load_project(tmp_path).scripts == {
        "admin": "shop.admin:run",
        "migrate": "shop.db:migrate",
        "shop": "shop.cli:main",
    }


def test_a_poetry_1_8_project_reads_its_scripts_from_tool_poetry(tmp_path: Path) -> None:
    pyproject = POETRY_1_8 + '\n    [tool.poetry.scripts]\n    plan = "coach_planner.cli:main"\n'
    write_tree(tmp_path, {"pyproject.toml": pyproject, "coach_planner/__init__.py": ""})

    assert load_project(tmp_path).scripts == {"plan": "coach_planner.cli:main"}


def test_a_project_without_scripts_has_none(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621(), "shop/__init__.py": ""})

    assert load_project(tmp_path).scripts == {}


# --- the git revision, read from .git's files -------------------------------------------------

MAIN = "a" * 40
FEATURE = "b" * 40
DETACHED = "c" * 40


def test_head_on_a_branch_is_the_commit_of_its_ref_file(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": f"{MAIN}\n"},
    )

    assert git_revision(tmp_path) == MAIN


def test_a_project_in_a_subdirectory_gets_the_revision_of_the_repository_above(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            ".git/refs/heads/main": f"{MAIN}\n",
            "services/shop/pyproject.toml": pep621(),
            "services/shop/shop/__init__.py": "",
        },
    )

    assert git_revision(tmp_path / "services" / "shop") == MAIN
    assert load_project(tmp_path / "services" / "shop").revision == MAIN


PACKED_REFS = f"""
    # pack-refs with: peeled fully-peeled sorted
    {FEATURE} refs/heads/feature
    {MAIN} refs/heads/main
    ^{DETACHED}
    {DETACHED} refs/tags/v1.0
"""


def test_a_ref_that_is_only_packed_is_read_from_packed_refs(tmp_path: Path) -> None:
    write_tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", ".git/packed-refs": PACKED_REFS})

    assert git_revision(tmp_path) == MAIN


def test_a_loose_ref_wins_over_its_packed_copy(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".git/HEAD": "ref: refs/heads/feature\n",
            ".git/refs/heads/feature": f"{DETACHED}\n",
            ".git/packed-refs": PACKED_REFS,
        },
    )

    assert git_revision(tmp_path) == DETACHED


def test_a_detached_head_is_the_commit_itself(tmp_path: Path) -> None:
    write_tree(tmp_path, {".git/HEAD": f"{DETACHED}\n", ".git/refs/heads/main": f"{MAIN}\n"})

    assert git_revision(tmp_path) == DETACHED


@pytest.mark.parametrize("absolute", [True, False], ids=["absolute", "relative"])
def test_a_worktree_follows_its_gitdir_file_and_reads_refs_from_the_common_dir(
    tmp_path: Path, absolute: bool
) -> None:
    gitdir = tmp_path / "repo" / ".git" / "worktrees" / "wt"
    target = gitdir if absolute else Path("..") / "repo" / ".git" / "worktrees" / "wt"
    write_tree(
        tmp_path,
        {
            "repo/.git/HEAD": "ref: refs/heads/main\n",
            "repo/.git/refs/heads/main": f"{MAIN}\n",
            "repo/.git/packed-refs": f"{FEATURE} refs/heads/feature\n",
            "repo/.git/worktrees/wt/HEAD": "ref: refs/heads/feature\n",
            "repo/.git/worktrees/wt/commondir": "../..\n",
            "wt/.git": f"gitdir: {target.as_posix()}\n",
        },
    )

    assert git_revision(tmp_path / "wt") == FEATURE
    assert git_revision(tmp_path / "repo") == MAIN


def test_a_submodule_reads_the_gitdir_its_git_file_names(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            ".git/refs/heads/main": f"{MAIN}\n",
            ".git/modules/lib/HEAD": f"{DETACHED}\n",
            "lib/.git": "gitdir: ../.git/modules/lib\n",
        },
    )

    assert git_revision(tmp_path / "lib") == DETACHED


def test_a_branch_without_a_commit_has_no_revision(tmp_path: Path) -> None:
    write_tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/.keep": ""})

    assert git_revision(tmp_path) is None


def test_a_project_outside_any_repository_has_no_revision(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621(), "shop/__init__.py": ""})

    assert git_revision(tmp_path) is None
    assert load_project(tmp_path).revision is None


# --- Poetry's content-hash, and whether the lock is fresh ------------------------------------

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"


def test_the_content_hash_of_the_example_is_the_one_poetry_wrote_into_its_lock() -> None:
    data = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    lock = load_lock(EXAMPLE / "poetry.lock")

    assert lock is not None
    assert lock.poetry_version == "2.5.1"
    assert content_hash(data) == lock.content_hash
    assert load_project(EXAMPLE).lock_is_fresh is True


def test_only_dependency_changes_make_a_lock_stale(tmp_path: Path) -> None:
    pyproject = pep621(extra="\n[tool.quatrain]\nport = 9000\n")
    write_project(tmp_path, {"pyproject.toml": pyproject, "shop/__init__.py": ""}, lock=FLASK_LOCK)

    described = pyproject.replace('version = "1.2.3"', 'version = "2.0.0"').replace(
        "port = 9000", "port = 9001"
    )
    write_tree(tmp_path, {"pyproject.toml": described})
    assert load_project(tmp_path).lock_is_fresh is True

    write_tree(tmp_path, {"pyproject.toml": described.replace("gunicorn>=23", "gunicorn>=24")})
    assert load_project(tmp_path).lock_is_fresh is False


GROUPS = pep621(extra='\n[dependency-groups]\ndev = ["pytest>=8"]\n')


@pytest.mark.parametrize(
    ("written_by", "fresh"),
    [("2.2.1", True), ("2.3.0", False), ("2.5.1", False)],
)
def test_a_hash_without_dependency_groups_is_fresh_only_from_a_poetry_before_2_3(
    tmp_path: Path, written_by: str, fresh: bool
) -> None:
    legacy = content_hash(tomllib.loads(GROUPS), with_dependency_groups=False)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": GROUPS,
            "shop/__init__.py": "",
            "poetry.lock": lock_text(locked("flask"), poetry=written_by, content_hash=legacy),
        },
    )

    assert load_project(tmp_path).lock_is_fresh is fresh


def test_a_project_without_a_lock_has_nothing_to_be_stale_against(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621(), "shop/__init__.py": ""})

    assert load_project(tmp_path).lock_is_fresh is True


# Poetry's own Locker (in process: it reads the two files) is the oracle for freshness.
CASES = {
    "pep621": pep621(),
    "poetry-1.8": POETRY_1_8,
    "dependency-groups": GROUPS,
    "source": pep621(extra='\n[[tool.poetry.source]]\nname = "x"\nurl = "https://x.invalid/"\n'),
}


def freshness_cases() -> list[object]:
    cases: list[object] = []
    for name in CASES:
        for hash_kind in ("current", "wrong"):
            for written_by in ("2.5.1", "2.2.1", None):
                cases.append(pytest.param(name, hash_kind, written_by))
    cases += [pytest.param(name, "none", "2.5.1") for name in CASES]
    cases += [
        pytest.param("dependency-groups", "legacy", "2.2.1"),
        pytest.param("dependency-groups", "legacy", "2.5.1"),
        pytest.param(
            "dependency-groups",
            "legacy",
            None,
        ),
        pytest.param(
            "dependency-groups",
            "legacy",
            "2.3.0b1",
        ),
    ]
    return cases


@pytest.mark.parametrize(("case", "hash_kind", "written_by"), freshness_cases())
def test_a_lock_is_fresh_exactly_when_poetry_says_so(
    tmp_path: Path, case: str, hash_kind: str, written_by: str | None
) -> None:
    locker = pytest.importorskip("poetry.packages.locker")
    data = tomllib.loads(CASES[case])
    hashes = {
        "current": content_hash(data),
        "legacy": content_hash(data, with_dependency_groups=False),
        "wrong": "0" * 64,
        "none": None,
    }
    write_tree(
        tmp_path,
        {
            "pyproject.toml": CASES[case],
            "shop/__init__.py": "",
            "coach_planner/__init__.py": "",
            "poetry.lock": lock_text(poetry=written_by, content_hash=hashes[hash_kind]),
        },
    )

    poetry_says = locker.Locker(tmp_path / "poetry.lock", data).is_fresh()

    assert load_project(tmp_path).lock_is_fresh is poetry_says


@pytest.mark.parametrize(
    ("head", "extra"),
    [
        ("ref: ../../secret\n", {}),
        ("ref: refs/heads/../../../secret\n", {}),
        ("not-a-commit\nRUN echo hi\n", {}),
        ("ref: refs/heads/main\n", {"refs/heads/main": "deadbeef; rm -rf /\n"}),
    ],
    ids=["ref-outside", "dotdot-ref", "free-text", "ref-not-a-commit"],
)
def test_a_revision_that_is_not_a_commit_id_read_inside_git_is_none(
    tmp_path: Path, head: str, extra: dict[str, str]
) -> None:
    write_tree(tmp_path, {"secret": "a" * 40 + "\n", "repo/.git/HEAD": head})
    for name, text in extra.items():
        write_tree(tmp_path / "repo" / ".git", {name: text})

    assert git_revision(tmp_path / "repo") is None


def test_a_commit_id_linked_or_pointed_at_from_outside_the_git_directory_is_never_read(
    tmp_path: Path,
) -> None:
    token = "f" * 40  # a 40-hex-digit file elsewhere on the machine: a token, say
    write_tree(tmp_path, {"token": f"{token}\n", "elsewhere/HEAD": f"{token}\n"})
    write_tree(tmp_path, {"elsewhere/commondir": "../elsewhere\n"})
    # a symlinked ref and a symlinked HEAD
    write_tree(tmp_path, {"a/.git/HEAD": "ref: refs/heads/main\n", "a/.git/refs/heads/.k": ""})
    (tmp_path / "a/.git/refs/heads/main").symlink_to(tmp_path / "token")
    (tmp_path / "b/.git").mkdir(parents=True)
    (tmp_path / "b/.git/HEAD").symlink_to(tmp_path / "token")
    # a gitdir: that leads out of every .git, and a commondir that is not the worktree's .git
    write_tree(tmp_path, {"c/.git": f"gitdir: {tmp_path / 'elsewhere'}\n"})
    write_tree(
        tmp_path,
        {
            "d/.git": "gitdir: ../repo/.git/worktrees/wt\n",
            "repo/.git/worktrees/wt/HEAD": "ref: refs/heads/main\n",
            "repo/.git/worktrees/wt/commondir": f"{tmp_path / 'elsewhere'}\n",
            "elsewhere/refs/heads/main": f"{token}\n",
        },
    )

    assert [git_revision(tmp_path / name) for name in "abcd"] == [None] * 4


def test_a_head_that_is_a_directory_or_not_utf8_gives_no_revision(tmp_path: Path) -> None:
    (tmp_path / "a" / ".git" / "HEAD").mkdir(parents=True)
    (tmp_path / "b" / ".git").mkdir(parents=True)
    (tmp_path / "b" / ".git" / "HEAD").write_bytes(b"\xff\xfe")

    assert (git_revision(tmp_path / "a"), git_revision(tmp_path / "b")) == (None, None)


# --- every field read with its type: the file, the key, what it should be and what it is -----


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'tool = { quatrain = "fast" }\n[project]\nname = "shop"\n',
            '`tool.quatrain` should be a table, not the string "fast"',
        ),
        ("tool = { poetry = 1 }\n", "`tool.poetry` should be a table, not a number"),
        ('project = "shop"\n', '`project` should be a table, not the string "shop"'),
        (
            '[project]\nname = "shop"\nurls = ["x"]\n',
            "`project.urls` should be a table, not an array",
        ),
        (
            '[project]\nname = "shop"\nscripts = { shop = true }\n',
            '`project.scripts.shop` should be a "module:function" string, not true or false',
        ),
        (
            '[project]\nname = "shop"\ndependencies = "flask"\n',
            '`project.dependencies` should be an array, not the string "flask"',
        ),
        (
            '[project]\nname = "shop"\n[tool.poetry.dependencies]\nflask = 2024-01-01\n',
            "`tool.poetry.dependencies.flask` should be a version string, a table or an array "
            "of tables, not a date or time",
        ),
        (
            '[project]\nname = "shop"\n[[tool.poetry.source]]\nname = "x"\nurl = 1\n',
            "`tool.poetry.source[0].url` should be a URL, not a number",
        ),
        (
            '[project]\nname = "shop"\n[tool.poetry]\npackage-mode = "false"\n',
            '`tool.poetry.package-mode` should be true or false, not the string "false"',
        ),
        (
            '[project]\nname = "shop"\nreadme = { file = 1 }\n',
            "`project.readme.file` should be a path, not a number",
        ),
        (
            '[project]\nname = "shop"\n[tool.poetry]\npackages = [{ from = "src" }]\n',
            "`tool.poetry.packages[0].include` should be the package's name or path",
        ),
    ],
    ids=[
        "tool-quatrain",
        "tool-poetry",
        "project",
        "urls",
        "script",
        "dependencies",
        "date",
        "source-url",
        "package-mode",
        "readme-file",
        "no-include",
    ],
)
def test_a_field_of_the_wrong_type_is_a_project_error_naming_file_and_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    write_tree(tmp_path, {"pyproject.toml": toml, "shop/__init__.py": ""})

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / 'pyproject.toml'}: {message}. Fix it and run quatrain again."
    )


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[project.license]\nfile = "../../etc/hostname"\n', "project.license.file"),
        ('[tool.poetry]\ninclude = ["/etc/hostname"]\n', "tool.poetry.include[0]"),
        ('[tool.poetry]\ninclude = [{ path = "../x" }]\n', "tool.poetry.include[0].path"),
        (
            '[tool.poetry]\npackages = [{ include = "shop", from = "/src" }]\n',
            "tool.poetry.packages[0]",
        ),
    ],
    ids=["license-file", "absolute-include", "dotdot-include", "absolute-from"],
)
def test_a_path_out_of_the_project_is_a_project_error_naming_the_key(
    tmp_path: Path, extra: str, key: str
) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621(extra=extra), "shop/__init__.py": ""})

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value).startswith(
        f"{tmp_path / 'pyproject.toml'}: `{key}` should be a path inside the project (no "
        "absolute path, no `..`, no symlink out of it), not the string "
    )


def test_a_readme_that_links_out_of_the_project_names_the_key_and_where_it_leads(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"outside.md": "elsewhere\n"})
    root = write_tree(
        tmp_path / "shop", {"pyproject.toml": pep621(extra=""), "shop/__init__.py": ""}
    )
    (root / "pyproject.toml").write_text(
        pep621().replace("[project]\n", '[project]\nreadme = "README.md"\n'), encoding="utf-8"
    )
    (root / "README.md").symlink_to(tmp_path / "outside.md")

    with pytest.raises(ProjectError) as raised:
        load_project(root)

    assert str(raised.value) == (
        f'{root / "pyproject.toml"}: `project.readme` = "README.md" is a symlink out of the '
        f"project, to {tmp_path / 'outside.md'}, and the build copies only the project. Put the "
        "file itself in the project (copy it over the link)."
    )


def test_a_license_file_that_links_out_of_the_project_is_a_project_error(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "shop", {"pyproject.toml": pep621(), "shop/__init__.py": ""})
    (root / "LICENSE").symlink_to("/etc/hostname")

    with pytest.raises(ProjectError, match="LICENSE is a symlink out of the project"):
        load_project(root)


def test_a_pyproject_that_links_out_of_the_project_is_a_project_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"elsewhere/pyproject.toml": pep621()})
    root = write_tree(tmp_path / "shop", {"shop/__init__.py": ""})
    (root / "pyproject.toml").symlink_to(tmp_path / "elsewhere" / "pyproject.toml")

    with pytest.raises(ProjectError) as raised:
        load_project(root)

    assert str(raised.value) == (
        f"{root / 'pyproject.toml'} is a symlink to {tmp_path / 'elsewhere' / 'pyproject.toml'}, "
        "outside the project: the build copies the project's directory, where the link would "
        "lead nowhere. Put the file itself in the project (copy it over the link)."
    )


def test_a_pyproject_that_links_inside_the_project_is_read(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"config/pyproject.toml": pep621(), "shop/__init__.py": ""})
    (root / "pyproject.toml").symlink_to(root / "config" / "pyproject.toml")

    assert load_project(root).name == "shop"


@pytest.mark.parametrize("name", ["pyproject.toml", "poetry.lock"])
def test_a_pyproject_or_lock_that_is_a_directory_is_a_project_error(
    tmp_path: Path, name: str
) -> None:
    write_tree(tmp_path, {"pyproject.toml": pep621(), "shop/__init__.py": ""})
    if name == "pyproject.toml":
        (tmp_path / name).unlink()
    (tmp_path / name).mkdir()

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / name} is not a file (a directory, or a link to nothing), so it cannot be "
        f"read. Put the project's {name} there."
    )


@pytest.mark.parametrize(
    ("table", "constraint"),
    [
        ("project.requires-python", "^3.x"),
        ("project.requires-python", ">=3.11,<four"),
        ("tool.poetry.dependencies.python", "~"),
        ("tool.poetry.dependencies.python", ">=3.11 || banana"),
    ],
)
def test_a_python_constraint_with_something_not_a_version_names_its_key(
    tmp_path: Path, table: str, constraint: str
) -> None:
    if table == "project.requires-python":
        text = f'[project]\nname = "shop"\nrequires-python = "{constraint}"\n'
    else:
        text = f'[project]\nname = "shop"\n[tool.poetry.dependencies]\npython = "{constraint}"\n'
    write_tree(tmp_path, {"pyproject.toml": text, "shop/__init__.py": ""})

    with pytest.raises(ProjectError) as raised:
        load_project(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / 'pyproject.toml'}: `{table}` should be a version constraint like "
        f'">=3.11,<4.0" or "^3.11" (numbers, and .* at most), not the string "{constraint}". '
        "Fix it and run quatrain again."
    )


@pytest.mark.parametrize(
    "constraint",
    [">=3.11,<4.0", "^3.11", "~3.12", "~=3.11", "3.11.*", ">=3.8 <4", "*", "==3.11.7 || ^3.12",
     ">= 3.11", "!=3.12.1,>=3.11"],
)  # fmt: skip
def test_python_constraints_poetry_and_pep_440_write_are_read_as_written(
    tmp_path: Path, constraint: str
) -> None:
    text = f'[project]\nname = "shop"\nrequires-python = "{constraint}"\n'
    write_tree(tmp_path, {"pyproject.toml": text, "shop/__init__.py": ""})

    assert load_project(tmp_path).python_constraint == constraint


def test_a_toml_date_in_hashed_content_gives_a_hash_instead_of_a_type_error() -> None:
    data = tomllib.loads("[tool.poetry.group.dev.dependencies]\nx = 2024-01-01\n")

    assert len(content_hash(data)) == 64


def test_an_include_pattern_that_matches_a_link_out_of_the_project_names_the_key(
    tmp_path: Path,
) -> None:
    (tmp_path / "outside").mkdir()
    root = write_tree(
        tmp_path / "shop",
        {"pyproject.toml": pep621(extra='[tool.poetry]\ninclude = ["dat*"]\n'), "shop/a.py": ""},
    )
    (root / "data").symlink_to(tmp_path / "outside")

    with pytest.raises(ProjectError) as raised:
        load_project(root)

    assert str(raised.value).startswith(
        f'{root / "pyproject.toml"}: `tool.poetry.include[0]` = "dat*" matches data, a symlink '
        f"out of the project, to {tmp_path / 'outside'}, "
    )

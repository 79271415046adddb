"""A module of the app imports a package that production will not install: a warning."""

from __future__ import annotations

from pathlib import Path

from quatrain.pipeline import make_plan
from unit.conftest import flask_project, lock_text, locked, pep621

APP = "from flask import Flask\n\napp = Flask(__name__)\n"
LOCK = lock_text(
    locked("flask", "3.1.3"), locked("gunicorn", "23.0.0"), locked("passlib", groups=("dev",))
)
PYPROJECT = pep621(extra='\n[tool.poetry.group.dev.dependencies]\npasslib = "*"\n')


def warnings_of(root: Path) -> list[str]:
    return [w for w in make_plan(root, env={}, cli={}).warnings if "poetry.lock has" in w]


def test_an_import_of_a_development_package_is_a_warning(tmp_path: Path) -> None:
    """DeadDPie/SalaryTracker: services/auth.py imports passlib, locked in the dev group."""
    files = {"shop/__init__.py": APP, "shop/auth.py": "from passlib.context import CryptContext\n"}
    root = flask_project(tmp_path, files, pyproject=PYPROJECT, lock=LOCK)

    assert warnings_of(root) == [
        "shop/auth.py imports passlib, which poetry.lock has only in the dev group: production "
        "will not have it, and the app may stop at import. If the app needs it, move it to the "
        'main dependencies (`poetry add passlib`), or set groups = ["dev"] to install that group '
        "in [tool.quatrain]."
    ]


def test_the_group_chosen_for_production_silences_it(tmp_path: Path) -> None:
    files = {"shop/__init__.py": APP, "shop/auth.py": "import passlib\n"}
    root = flask_project(tmp_path, files, pyproject=PYPROJECT, lock=LOCK)

    assert [
        w for w in make_plan(root, env={}, cli={"groups": ["dev"]}).warnings if "has only" in w
    ] == []


def test_an_import_that_may_fail_or_waits_for_a_call_is_the_projects_to_judge(
    tmp_path: Path,
) -> None:
    guarded = "try:\n    import passlib\nexcept ImportError:\n    passlib = None\n"
    lazy = "def hash(text):\n    import passlib\n    return passlib\n"
    files = {"shop/__init__.py": APP, "shop/a.py": guarded, "shop/b.py": lazy}
    root = flask_project(tmp_path, files, pyproject=PYPROJECT, lock=LOCK)

    assert warnings_of(root) == []


def test_a_module_of_the_project_named_like_a_development_package_is_its_own(
    tmp_path: Path,
) -> None:
    files = {"shop/__init__.py": APP + "import shop.passlib\n", "shop/passlib.py": ""}
    lock = lock_text(locked("flask", "3.1.3"), locked("gunicorn"), locked("shop", groups=("dev",)))
    root = flask_project(tmp_path, files, pyproject=PYPROJECT, lock=lock)

    assert warnings_of(root) == []


def test_an_app_beside_its_packages_has_its_imports_read_too(tmp_path: Path) -> None:
    """paisleypark3121/la2i-flask: `poetry new` made an empty package, and the app is the root
    app.py, which production runs from the shipped sources."""
    files = {"shop/__init__.py": "", "app.py": APP + "import passlib\n"}
    root = flask_project(tmp_path, files, pyproject=PYPROJECT, lock=LOCK)

    assert [w.split(",")[0] for w in warnings_of(root)] == ["app.py imports passlib"]


def test_modules_beside_packages_that_hold_the_app_are_not_read(tmp_path: Path) -> None:
    """A root script next to a packaged app is not what production runs."""
    files = {"shop/__init__.py": APP, "seed.py": "import passlib\n"}
    root = flask_project(tmp_path, files, pyproject=PYPROJECT, lock=LOCK)

    assert warnings_of(root) == []


def test_a_console_script_never_counts_the_modules_beside_its_package(tmp_path: Path) -> None:
    """A command-line tool ships its wheel only: a release script beside the package that
    imports a development tool is not production's."""
    pyproject = PYPROJECT + '\n[project.scripts]\nshop-tool = "shop.cli:main"\n'
    files = {"shop/__init__.py": "", "shop/cli.py": "def main():\n    pass\n",
             "release.py": "import passlib\n"}  # fmt: skip
    root = flask_project(tmp_path, files, pyproject=pyproject, lock=LOCK)

    warned = make_plan(root, env={}, cli={"serve": "console-script"}).warnings
    assert [w for w in warned if "poetry.lock has" in w] == []

"""A package project whose app is not in its package: `poetry new` made an empty package and
the app is a root app.py (paisleypark3121/la2i-flask), or src/ holds the package and the app
module beside it (talkdai/dialog). The app is looked for beside the packages only when they
hold none, and is served from the shipped sources."""

from __future__ import annotations

from pathlib import Path

from quatrain.detectors.detect import detect
from quatrain.pipeline import make_plan
from quatrain.reading.project import load_project
from quatrain.settings.options import Options
from unit.conftest import flask_project

FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n"
FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


def test_an_app_at_the_root_beside_an_empty_package_is_found_and_the_package_still_built(
    tmp_path: Path,
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": "", "app.py": FLASK_APP})

    project = load_project(root)
    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == ("app:app", "app.py: app")
    assert project.package_mode
    production = make_plan(root, env={}, cli={}).files["Dockerfile"].split(" AS production\n")[1]
    assert "\nCOPY . .\n" in production  # the app ships with the sources
    assert "uv pip install --no-deps --no-cache --compile-bytecode /tmp/dist/*.whl" in production


def test_an_app_beside_a_src_layout_package_is_found_under_src(tmp_path: Path) -> None:
    files = {
        "src/shop/__init__.py": "",
        "src/shop/settings.py": "DEBUG = False\n",
        "src/__init__.py": "",
        "src/main.py": "from shop.settings import DEBUG\n" + FLASK_APP,
    }
    spec = detect(load_project(flask_project(tmp_path, files)), Options())

    assert spec.app == "src.main:app"
    assert spec.workdir == ""  # shop imports from the installed wheel, from anywhere


def test_an_app_beside_the_package_that_imports_its_siblings_runs_from_their_directory(
    tmp_path: Path,
) -> None:
    files = {
        "shop/__init__.py": "",
        "web/app.py": "import config\n" + FLASK_APP,
        "web/config.py": "TITLE = 'shop'\n",
    }
    spec = detect(load_project(flask_project(tmp_path, files)), Options())

    assert (spec.app, spec.workdir) == ("app:app", "web")


def test_the_packages_app_wins_and_modules_beside_it_are_never_a_second_candidate(
    tmp_path: Path,
) -> None:
    files = {"shop/__init__.py": FACTORY, "app.py": FLASK_APP, "scripts/dev.py": FLASK_APP}

    spec = detect(load_project(flask_project(tmp_path, files)), Options())

    assert spec.app == "shop:create_app()"


def test_tools_at_the_root_are_never_taken_for_the_app(tmp_path: Path) -> None:
    files = {"shop/__init__.py": "", "setup.py": FLASK_APP, "conftest.py": FLASK_APP,
             "tests/app.py": FLASK_APP, "wsgi_app.py": FLASK_APP}  # fmt: skip

    spec = detect(load_project(flask_project(tmp_path, files)), Options())

    assert spec.app == "wsgi_app:app"


def test_a_standard_library_import_beside_a_module_of_its_name_is_no_sibling_import(
    tmp_path: Path,
) -> None:
    # Round 10's dotmac_sub: app/main.py does `import logging` beside app/logging.py, and
    # imports its package as `app.*`; run from app/, the sibling would shadow the stdlib.
    files = {
        "shop/__init__.py": "",
        "web/main.py": "import logging\nimport json\n" + FLASK_APP,
        "web/logging.py": "def configure():\n    pass\n",
        "web/json.py": "",
    }
    spec = detect(load_project(flask_project(tmp_path, files)), Options())

    assert (spec.app, spec.workdir) == ("web.main:app", "")

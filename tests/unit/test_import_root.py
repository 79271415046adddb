"""An application whose app module imports its siblings as top-level modules runs from their
directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from quatrain.detectors.detect import detect
from quatrain.errors import DetectionError
from quatrain.pipeline import make_plan
from quatrain.reading.project import load_project
from quatrain.settings.options import Options
from unit.conftest import lock_text, locked, write_project

APP = "import config\nfrom fastapi import FastAPI\n\napp = FastAPI(title=config.TITLE)\n"


def _application(root: Path, files: dict[str, str], *, package_mode: bool = False) -> Path:
    mode = "package-mode = false\n" if not package_mode else 'packages = [{include = "src"}]\n'
    pyproject = (
        f'[tool.poetry]\nname = "quiz"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n{mode}'
        '[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "*"\nuvicorn = "*"\n'
    )
    lock = lock_text(locked("fastapi"), locked("uvicorn"))
    return write_project(root, {"pyproject.toml": pyproject, **files}, lock=lock)


def test_an_app_that_imports_a_module_beside_it_runs_from_that_directory(tmp_path: Path) -> None:
    root = _application(tmp_path, {"src/app.py": APP, "src/config.py": 'TITLE = "quiz"\n'})

    spec = detect(load_project(root), Options())

    assert (spec.app, spec.workdir) == ("app:app", "src")
    assert spec.production_command[-1] == "app:app"  # uvicorn's "$1"
    assert spec.found_in == "src/app.py: app (it imports config beside it: run from src/)"


def test_both_stages_work_and_write_in_that_directory(tmp_path: Path) -> None:
    root = _application(tmp_path, {"src/app.py": APP, "src/config.py": 'TITLE = "quiz"\n'})

    dockerfile = make_plan(root, env={}, cli={}).files["Dockerfile"]

    development = dockerfile[: dockerfile.index(" AS build\n")]
    production = dockerfile[dockerfile.index(" AS production\n") :]
    assert "\nWORKDIR /app/src\n" in development
    assert "\nWORKDIR /app/src\n" in production
    assert 'RUN set -- /app/src/data && mkdir -p "$@" && chown 10001:0 "$@"' in production


def test_a_package_whose_app_imports_its_siblings_as_top_level_modules_runs_from_inside_it(
    tmp_path: Path,
) -> None:
    """FIUBER-Notification-PIN: fastapi_app/ has an __init__.py, and app.py does `import
    config`, which resolves only as its own Dockerfile runs it, `python fastapi_app/app.py`."""
    files = {"src/__init__.py": "", "src/app.py": APP, "src/config.py": 'TITLE = "quiz"\n'}

    spec = detect(load_project(_application(tmp_path, files)), Options())

    assert (spec.app, spec.workdir) == ("app:app", "src")


def test_a_namespace_package_whose_app_imports_its_siblings_runs_from_inside_it(
    tmp_path: Path,
) -> None:
    """LuisNunes301/mongoPyCrud: mongopycrud/ is the package Poetry ships, without __init__.py,
    and its README runs `cd mongopycrud && uvicorn main:app`, as `from routes import router`
    in main.py needs."""
    pyproject = (
        '[tool.poetry]\nname = "mongopycrud"\nversion = "0.1.0"\ndescription = ""\n'
        'authors = []\n[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "*"\n'
        'uvicorn = "*"\n'
    )
    app = "from fastapi import FastAPI\nfrom routes import router\n\napp = FastAPI()\n"
    files = {"pyproject.toml": pyproject, "mongopycrud/main.py": app}
    files["mongopycrud/routes.py"] = "router = None\n"
    root = write_project(tmp_path, files, lock=lock_text(locked("fastapi"), locked("uvicorn")))
    project = load_project(root)

    spec = detect(project, Options())

    assert project.import_names == ("mongopycrud",)  # the wheel has it
    assert (spec.app, spec.workdir) == ("main:app", "mongopycrud")


@pytest.mark.parametrize(
    "files",
    [
        # config.py is at the root too: the root may be what the app imports it from
        {"src/app.py": APP, "src/config.py": "TITLE = 1\n", "config.py": "TITLE = 2\n"},
        # nothing of its own is imported
        {"src/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"},
        # a package's module that imports its package relatively
        {
            "src/__init__.py": "",
            "src/app.py": "from . import config\n" + APP.replace("import config\n", ""),
            "src/config.py": "TITLE = 1\n",
        },
    ],
)
def test_otherwise_the_app_runs_from_the_projects_directory(
    tmp_path: Path, files: dict[str, str]
) -> None:
    spec = detect(load_project(_application(tmp_path, files)), Options())

    assert spec.workdir == ""
    assert spec.app.startswith("src.app:")


def test_console_scripts_of_an_application_are_refused_for_they_are_never_installed(
    tmp_path: Path,
) -> None:
    pyproject = (
        '[tool.poetry]\nname = "nerf"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n'
        'packages = [{include = "nerf_gun"}]\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nclick = "*"\n'
        '[tool.poetry.scripts]\nstart = "nerf_gun.main:run"\n'
    )
    root = write_project(
        tmp_path,
        {"pyproject.toml": pyproject, "main.py": "print(1)\n"},
        lock=lock_text(locked("click")),
    )
    project = load_project(root)

    with pytest.raises(DetectionError, match=r"declares console scripts \(start\), but it is an"):
        detect(project, Options())
    assert detect(project, Options(command=("python", "main.py"))).detector == "command"

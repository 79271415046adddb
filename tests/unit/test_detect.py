from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from quatrain.detect import ServeSpec, detect
from quatrain.errors import DetectionError, ProjectError
from quatrain.options import Options
from quatrain.project import load_project
from unit.conftest import flask_project, lock_text, locked, pep621

FACTORY = """
    from flask import Flask


    def create_app():
        app = Flask(__name__)
        return app
"""


NOT_DETECTED = (
    "quatrain cannot tell how shop is served. It looked for flask: a Flask dependency "
    "and, in the project's packages, a module-level `create_app()`/`make_app()` factory "
    "or an `app = Flask(...)` object. "
    'Name the app with app = "module:attribute" in [tool.quatrain] or --app.'
)


def detected(root: Path, files: Mapping[str, str], options: Options | None = None) -> ServeSpec:
    return detect(load_project(flask_project(root, files)), options or Options())


def test_a_flask_factory_in_the_package_init_is_served_by_calling_it(tmp_path: Path) -> None:
    spec = detected(tmp_path, {"shop/__init__.py": FACTORY})

    assert spec == ServeSpec(
        framework="flask",
        app="shop:create_app()",
        production_command=(
            "gunicorn",
            "--access-logfile=-",
            "--graceful-timeout=8",
            "--threads=4",
            "--worker-tmp-dir=/dev/shm",
            "shop:create_app()",
        ),
        development_command=("sh", "-c", 'exec flask run --host 0.0.0.0 --port "$PORT"'),
        development_env=(("FLASK_APP", "shop:create_app()"), ("FLASK_DEBUG", "1")),
        production_server="gunicorn",
        http=True,
    )


def test_the_threads_option_reaches_the_gunicorn_command(tmp_path: Path) -> None:
    spec = detected(tmp_path, {"shop/__init__.py": FACTORY}, Options(threads=16))

    assert spec.production_command[3] == "--threads=16"


def test_make_app_whose_arguments_all_have_defaults_is_a_factory(tmp_path: Path) -> None:
    source = """
        from flask import Flask


        def make_app(config=None, /, debug=False, *, testing=False, **overrides):
            return Flask(__name__)
    """

    assert detected(tmp_path, {"shop/__init__.py": source}).app == "shop:make_app()"


@pytest.mark.parametrize(
    "signature",
    ["create_app(config)", "create_app(*, config)", "create_app(config, /)"],
)
def test_a_factory_that_needs_an_argument_is_not_a_candidate(
    tmp_path: Path, signature: str
) -> None:
    source = f"from flask import Flask\n\n\ndef {signature}:\n    return Flask(__name__)\n"
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": source}))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == NOT_DETECTED


def test_a_module_level_flask_object_in_a_submodule_is_served_as_is(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    }

    assert detected(tmp_path, files).app == "shop.app:app"


def test_a_flask_object_made_through_the_flask_module_is_found(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/web/__init__.py": "",
        "shop/web/wsgi.py": "import flask\n\napplication = flask.Flask('shop')\n",
    }

    assert detected(tmp_path, files).app == "shop.web.wsgi:application"


def test_an_app_built_inside_the_factory_is_not_a_second_candidate(tmp_path: Path) -> None:
    # The factory's own `app = Flask(__name__)` is not at module level: one candidate only.
    assert detected(tmp_path, {"shop/__init__.py": FACTORY}).app == "shop:create_app()"


def test_a_src_layout_package_is_searched_under_src(tmp_path: Path) -> None:
    assert detected(tmp_path, {"src/shop/__init__.py": FACTORY}).app == "shop:create_app()"


def test_a_single_module_project_is_searched_as_that_module(tmp_path: Path) -> None:
    source = "from flask import Flask\n\napp = Flask(__name__)\n"

    assert detected(tmp_path, {"shop.py": source}).app == "shop:app"


def test_two_candidates_are_a_detection_error_that_lists_both(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": FACTORY,
        "shop/wsgi.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    }
    project = load_project(flask_project(tmp_path, files))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        "Found more than one Flask app in shop: `shop:create_app()`, `shop.wsgi:app`. "
        'Choose one with app = "..." in [tool.quatrain] or --app.'
    )


def test_the_app_option_wins_over_detection(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": FACTORY,
        "shop/wsgi.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    }

    spec = detected(tmp_path, files, Options(app="shop.wsgi:app"))

    assert spec.app == "shop.wsgi:app"
    assert spec.production_command[-1] == "shop.wsgi:app"
    assert spec.development_env == (("FLASK_APP", "shop.wsgi:app"), ("FLASK_DEBUG", "1"))


def test_a_project_without_flask_is_a_detection_error_that_says_what_was_looked_for(
    tmp_path: Path,
) -> None:
    root = flask_project(
        tmp_path,
        {"shop/__init__.py": FACTORY},
        pyproject=pep621(dependencies=["fastapi", "gunicorn"]),
    )

    with pytest.raises(DetectionError) as raised:
        detect(load_project(root), Options())

    assert str(raised.value) == NOT_DETECTED


def test_a_flask_dependency_with_no_app_in_the_sources_is_a_detection_error(
    tmp_path: Path,
) -> None:
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": "VERSION = 1\n"}))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == NOT_DETECTED


@pytest.mark.parametrize(
    "lock",
    [
        lock_text(locked("flask")),
        lock_text(locked("flask"), locked("gunicorn", groups=["dev"])),
    ],
    ids=["not-locked", "dev-group-only"],
)
def test_gunicorn_not_locked_for_runtime_is_a_project_error_that_says_poetry_add(
    tmp_path: Path, lock: str
) -> None:
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock))

    with pytest.raises(ProjectError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        "The production image serves shop with gunicorn, but gunicorn is not among the "
        "project's locked runtime dependencies. Run `poetry add gunicorn` and build again."
    )


def test_gunicorn_is_checked_even_when_the_app_is_named(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock_text(locked("flask")))

    with pytest.raises(ProjectError, match="poetry add gunicorn"):
        detect(load_project(root), Options(app="shop:create_app()"))


def test_gunicorn_locked_in_main_and_dev_is_enough(tmp_path: Path) -> None:
    lock = lock_text(locked("flask"), locked("Gunicorn", groups=["main", "dev"]))
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock))

    assert detect(project, Options()).production_server == "gunicorn"


def test_files_that_do_not_parse_are_skipped(tmp_path: Path) -> None:
    root = flask_project(
        tmp_path,
        {
            "shop/__init__.py": FACTORY,
            "shop/broken.py": "app = Flask(__name__\n",
            "shop/templates/snippet.py": "{% if app %}app = Flask(__name__){% endif %}\n",
        },
    )
    (root / "shop" / "latin1.py").write_bytes(b"app = Flask('caf\xe9')\n")

    assert detect(load_project(root), Options()).app == "shop:create_app()"


def test_an_annotated_module_level_flask_object_is_found(tmp_path: Path) -> None:
    source = "from flask import Flask\n\napp: Flask = Flask(__name__)\n"

    assert detected(tmp_path, {"shop/__init__.py": "", "shop/wsgi.py": source}).app == (
        "shop.wsgi:app"
    )


def test_detection_reads_the_sources_and_never_imports_them(tmp_path: Path) -> None:
    source = textwrap.dedent(FACTORY) + "\nraise SystemExit('imported!')\n"
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": source}))

    assert detect(project, Options()).app == "shop:create_app()"

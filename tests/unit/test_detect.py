"""`detect`: the ordered registry, the `serve` option, and Flask apps end to end.

The other detectors (ASGI, Django, console scripts) are in test_detectors.py.
"""

from __future__ import annotations

import textwrap
import typing
from collections.abc import Mapping
from pathlib import Path

import pytest

from quatrain.detectors import DETECTORS
from quatrain.detectors.detect import ServeSpec, detect
from quatrain.dockerfile import sbom
from quatrain.errors import DetectionError
from quatrain.pipeline import make_plan
from quatrain.reading.project import load_project
from quatrain.settings import schema
from quatrain.settings.options import FIELDS, Options
from quatrain.settings.schema import Serve
from unit.conftest import flask_project, lock_text, locked, pep621, write_project

FACTORY = """
    from flask import Flask


    def create_app():
        app = Flask(__name__)
        return app
"""


# What each detector looks for, as the error lists it when nothing matches.
LOOKED_FOR = {
    "django": (
        "django: a django dependency, a manage.py or wsgi.py/asgi.py that names "
        "DJANGO_SETTINGS_MODULE, and that settings module's WSGI_APPLICATION or "
        "ASGI_APPLICATION"
    ),
    "dash": (
        "dash: a dash dependency and a module-level `app = Dash(...)`, served from the module "
        "that sets its layout"
    ),
    "streamlit": (
        "streamlit: a streamlit dependency and one script that imports streamlit (outside "
        'pages/), or app = "path/to/app.py"'
    ),
    "sanic": (
        "sanic: a sanic dependency and a module-level `app = Sanic(...)` (or `app: Sanic = ...`) "
        "or a function returning one"
    ),
    "aiohttp": (
        "aiohttp: an aiohttp dependency and a module-level `app = web.Application()` or a "
        "function returning one, in a module that imports aiohttp"
    ),
    "asgi": (
        "asgi: a dependency on one of fastapi, starlette, litestar, quart and a module-level "
        "app object (`app = FastAPI()`, ...) or `create_app()` factory"
    ),
    "flask": (
        "flask: a flask dependency and a module-level `create_app()`/`make_app()` factory or "
        "`app = Flask(...)` object in the project's modules"
    ),
    "celery": "celery: a celery dependency and a module-level `app = Celery(...)`",
    "console-script": (
        "console-script: console scripts in [project.scripts] or [tool.poetry.scripts]"
    ),
    "module": (
        "module: one top-level package with a __main__.py, or the one script of a bot library "
        'with `if __name__ == "__main__":`, run as python -m'
    ),
    "command": ("command: a command = [...] in [tool.quatrain] for a long-running process"),
}
WEB_LOOKED_FOR = "; ".join(
    v for k, v in LOOKED_FOR.items() if k not in ("celery", "console-script", "module", "command")
)
SAY_IT = (
    'Say it in [tool.quatrain]: serve = "flask" | "asgi" | "django" | "console-script" and '
    'app = "module:attribute" (or the script name), or --serve/--app.'
)
NOT_DETECTED = (
    "quatrain cannot tell how shop is served. It looked for "
    f"{'; '.join(LOOKED_FOR.values())}. {SAY_IT}"
)
NO_WEB_APP = (
    "shop depends on {}, but quatrain found no app in its modules. It looked for "
    f"{WEB_LOOKED_FOR}. "
    'Say which: app = "module:attribute" or "module:factory()" in [tool.quatrain] (or --app), '
    'or serve = "console-script" for a command-line image.'
)
GUNICORN_FOR_FLASK = (
    "gunicorn",
    "--graceful-timeout=8",
    "--threads=4",
    "--worker-tmp-dir=/dev/shm",
)


def detected(root: Path, files: Mapping[str, str], options: Options | None = None) -> ServeSpec:
    return detect(load_project(flask_project(root, files)), options or Options())


def test_a_flask_factory_in_the_package_init_is_served_by_calling_it(tmp_path: Path) -> None:
    spec = detected(tmp_path, {"shop/__init__.py": FACTORY})

    assert spec == ServeSpec(
        detector="flask",
        kind="wsgi",
        framework="flask",
        app="shop:create_app()",
        found_in="shop/__init__.py: create_app()",
        production_command=(*GUNICORN_FOR_FLASK, "shop:create_app()"),
        development_command=("sh", "-c", 'exec flask run --host 0.0.0.0 --port "$PORT"'),
        development_env=(("FLASK_APP", "shop:create_app()"), ("FLASK_DEBUG", "1")),
        production_server="gunicorn",
        reloads=True,
    )
    assert spec.http is True
    assert (spec.production_entrypoint, spec.production_env, spec.production_steps) == (
        (),
        (),
        (),
    )


def test_an_app_in_a_directory_that_is_no_python_name_runs_from_inside_it(
    tmp_path: Path,
) -> None:
    """RafiRees/broken-flask: `python broken-flask/main.py`, a directory no import reaches from
    the root; its modules import each other as top-level ones from inside it."""
    app = "from flask import Flask\nfrom pages import index\n\napp = Flask(__name__)\n"
    root = flask_project(tmp_path, {"my-site/main.py": app, "my-site/pages/__init__.py": ""})

    spec = detect(load_project(root), Options())

    assert (spec.detector, spec.app, spec.workdir) == ("flask", "main:app", "my-site")
    assert spec.found_in == "my-site/main.py: app (run from my-site/, no Python name)"
    assert spec.production_command[-1] == "main:app"


def test_apps_in_two_directories_that_are_no_python_names_are_named_with_a_command(
    tmp_path: Path,
) -> None:
    app = "from flask import Flask\n\napp = Flask(__name__)\n"
    root = flask_project(tmp_path, {"my-site/main.py": app, "old-site/main.py": app})

    with pytest.raises(DetectionError) as raised:
        detect(load_project(root), Options())

    assert (
        " my-site/main.py has `app` (a Flask app), but my-site is not a Python name, so nothing "
        "imports it from the project's root: rename the directory, or set the command that "
        "serves it from inside (gunicorn binds $PORT itself): "
        'command = ["gunicorn", "--chdir", "my-site", "main:app"]. Say which:'
    ) in str(raised.value)


@pytest.mark.parametrize(
    ("script", "how"),
    [
        ("def main():\n    load()\n\n\nmain()\n", "main() at its top level"),
        ('if __name__ == "__main__":\n    load()\n', 'if __name__ == "__main__"'),
    ],
)
def test_a_flask_project_whose_root_script_runs_itself_is_told_the_command(
    tmp_path: Path, script: str, how: str
) -> None:
    """theryaz/precipitation-io: app.py calls its main() at import, and the Flask app is made
    inside a plugin class that main() loads: no app for a server, a process to run."""
    plugin = "from flask import Flask\n\n\nclass Backend:\n    app = Flask(__name__)\n"
    files = {"app.py": script, "setup.py": "setup()\n", "plugins/web.py": plugin}
    root = flask_project(tmp_path, files)

    with pytest.raises(DetectionError) as raised:
        detect(load_project(root), Options())

    assert (
        f" app.py runs itself ({how}): if that is how shop starts, set command = "
        '["python", "app.py"]; verify then checks that it stays up. Say which:'
    ) in str(raised.value)


def test_the_command_a_refusal_names_gets_past_it(tmp_path: Path) -> None:
    plugin = "from flask import Flask\n\n\nclass Backend:\n    app = Flask(__name__)\n"
    files = {"app.py": "def main():\n    load()\n\n\nmain()\n", "plugins/web.py": plugin}
    root = flask_project(tmp_path, files)

    spec = detect(load_project(root), Options(command=("python", "app.py")))

    assert (spec.detector, spec.production_command) == ("command", ("python", "app.py"))


def test_no_command_is_suggested_for_a_root_module_that_only_defines(tmp_path: Path) -> None:
    files = {"app.py": "def main():\n    pass\n", "helpers.py": "print('x')\n"}

    with pytest.raises(DetectionError) as raised:
        detect(load_project(flask_project(tmp_path, files)), Options())

    assert str(raised.value) == NO_WEB_APP.format("flask")


def test_the_threads_option_reaches_the_gunicorn_command(tmp_path: Path) -> None:
    spec = detected(tmp_path, {"shop/__init__.py": FACTORY}, Options(threads=16))

    assert spec.production_command[2] == "--threads=16"


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

    assert str(raised.value) == NO_WEB_APP.format("flask")


@pytest.mark.parametrize(
    "factory",
    [
        "from flask import Flask\n\n\ndef create_app(config):\n    return Flask(__name__)\n",
        # a factory known by name, whose body hides the constructor
        "from shop.build import build\n\n\ndef create_app(config):\n    return build(config)\n",
    ],
    ids=["returns-flask", "known-by-name"],
)
def test_an_object_made_by_a_factory_with_arguments_is_the_app(
    tmp_path: Path, factory: str
) -> None:
    """0NeoCoda0/Vkus' shape: `app = create_app(Config)` in app.py, the factory in another
    module. The factory is no candidate (gunicorn cannot call it), the object it made is."""
    files = {
        "shop/__init__.py": "",
        "shop/factory.py": factory,
        "shop/app.py": "from shop.factory import create_app\n\napp = create_app(object)\n",
    }

    spec = detected(tmp_path, files)

    assert (spec.app, spec.found_in) == ("shop.app:app", "shop/app.py: app = create_app(...)")


def test_a_module_level_flask_object_in_a_submodule_is_served_as_is(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    }

    spec = detected(tmp_path, files)

    assert (spec.app, spec.found_in) == ("shop.app:app", "shop/app.py: app")
    assert spec.production_command == (*GUNICORN_FOR_FLASK, "shop.app:app")


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
        "Found more than one app in shop: `shop:create_app()` (shop/__init__.py: create_app()), "
        "`shop.wsgi:app` (shop/wsgi.py: app). Choose one with "
        'app = "module:attribute" in [tool.quatrain] (or --app).'
    )


APP_OBJECT = "from flask import Flask\n\napp = Flask(__name__)\n"


@pytest.mark.parametrize(
    "guard",
    [
        '\nif __name__ == "__main__":\n    app.run(host="0.0.0.0")\n',
        '\nif __name__ == "__main__":\n    import waitress\n    waitress.serve(app)\n',
        '\nif __name__ == "__main__":\n    run_simple("shop.main:app")\n',
    ],
)
def test_of_several_apps_the_one_its_module_runs_is_chosen_and_says_so(
    tmp_path: Path, guard: str
) -> None:
    """skrhbk/fast-api-poc has eight FastAPI apps (examples beside the service); only
    myapp/main.py ends with `if __name__ == "__main__": uvicorn.run(app, ...)`."""
    files = {
        "shop/__init__.py": "",
        "shop/main.py": APP_OBJECT + guard,
        "shop/examples/hello.py": APP_OBJECT,
        "shop/examples/login.py": APP_OBJECT,
    }
    spec = detect(load_project(flask_project(tmp_path, files)), Options())

    assert spec.app == "shop.main:app"
    assert spec.found_in == (
        "shop/main.py: app (the one its module runs; not `shop.examples.hello:app`, "
        "`shop.examples.login:app`)"
    )


@pytest.mark.parametrize(
    "other_guard",
    ['\nif __name__ == "__main__":\n    app.run()\n', ""],
    ids=["two-run-by-their-module", "guard-names-no-app"],
)
def test_several_apps_without_exactly_one_run_by_its_module_stay_a_choice(
    tmp_path: Path, other_guard: str
) -> None:
    guard = other_guard or '\nif __name__ == "__main__":\n    print("hi")\n'
    files = {
        "shop/__init__.py": "",
        "shop/main.py": APP_OBJECT + guard,
        "shop/other.py": APP_OBJECT + other_guard,
    }
    project = load_project(flask_project(tmp_path, files))

    with pytest.raises(DetectionError, match="Found more than one app in shop"):
        detect(project, Options())


def test_the_app_option_wins_over_detection(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": FACTORY,
        "shop/wsgi.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    }

    spec = detected(tmp_path, files, Options(app="shop.wsgi:app"))

    assert spec.app == "shop.wsgi:app"
    assert spec.found_in == "the app option"
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

    assert str(raised.value) == NO_WEB_APP.format("fastapi")


def test_a_flask_dependency_with_no_app_in_the_sources_is_a_detection_error(
    tmp_path: Path,
) -> None:
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": "VERSION = 1\n"}))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == NO_WEB_APP.format("flask")


def test_a_web_framework_without_an_app_never_falls_back_to_a_console_script(
    tmp_path: Path,
) -> None:
    pyproject = pep621(extra='[project.scripts]\nshop = "shop.cli:main"\n')
    files = {"shop/__init__.py": "VERSION = 1\n", "shop/cli.py": "def main(): pass\n"}
    project = load_project(flask_project(tmp_path, files, pyproject=pyproject))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert "It also has console scripts (shop)." in str(raised.value)
    assert detect(project, Options(serve="console-script")).app == "shop"


def test_a_project_with_a_web_app_and_a_console_script_gets_the_web_app(tmp_path: Path) -> None:
    pyproject = pep621(extra='[project.scripts]\nshop = "shop.cli:main"\n')
    files = {"shop/__init__.py": FACTORY, "shop/cli.py": "def main(): pass\n"}

    spec = detect(load_project(flask_project(tmp_path, files, pyproject=pyproject)), Options())

    assert (spec.detector, spec.app) == ("flask", "shop:create_app()")


def test_a_lock_without_gunicorn_gets_the_pinned_one_and_a_warning_that_says_poetry_add(
    tmp_path: Path,
) -> None:
    lock = lock_text(locked("flask"))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    the_plan = make_plan(root, env={}, cli={})

    assert the_plan.spec.production_command[0] == "gunicorn"
    assert the_plan.warnings == (
        "shop locks no server for its flask app: production runs gunicorn 27.0.1, which "
        "quatrain installs pinned by the hash of its wheel. Run `poetry add gunicorn` to lock "
        "one of your own.",
    )
    dockerfile = the_plan.files["Dockerfile"]
    assert (
        "    echo 'gunicorn==27.0.1 --hash=sha256:378b26b9a38adcf4592f28828233c1716acc55e833ea06"
        "bf48719782efaa0d10' > requirements.server.txt \\\n"
        "    && uv pip install --require-hashes --no-deps --compile-bytecode "
        "--requirement requirements.server.txt\n"
    ) in dockerfile
    # The SBOM step finds the pin where this step leaves it (test_sbom covers how it reads it).
    assert "requirements.server.txt" in sbom.PIN_FILES


def test_gunicorn_locked_only_in_a_dev_group_is_brought_for_production_and_the_warning_says_so(
    tmp_path: Path,
) -> None:
    lock = lock_text(locked("flask"), locked("gunicorn", groups=["dev"]))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    plan = make_plan(root, env={}, cli={})

    assert [p.name for p in plan.spec.brought_packages] == ["gunicorn"]
    assert (
        "shop locks gunicorn only in the `dev` group, which production does not install, for "
        "its flask app: production runs gunicorn 27.0.1, which quatrain installs pinned by the "
        "hash of its wheel. Run `poetry add gunicorn` to lock one of your own."
    ) in plan.warnings


def test_gunicorn_locked_only_through_an_extra_is_brought_unless_the_extra_is_chosen(
    tmp_path: Path,
) -> None:
    optional = locked("gunicorn", "23.0.0").replace("optional = false", "optional = true")
    lock = lock_text(locked("flask"), optional).replace(
        "[metadata]", '[extras]\nserver = ["gunicorn"]\n\n[metadata]'
    )
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock))

    assert [p.name for p in detect(project, Options()).brought_packages] == ["gunicorn"]
    chosen = detect(project, Options(extras=("server",)))
    assert chosen.brought_packages == ()  # the extra's own gunicorn is installed
    assert chosen.production_command[0] == "gunicorn"


def test_gunicorn_is_brought_even_when_the_app_is_named(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock_text(locked("flask")))

    spec = detect(load_project(root), Options(app="shop:create_app()"))

    assert [p.name for p in spec.brought_packages] == ["gunicorn"]


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


def test_a_factory_that_hides_its_constructor_belongs_to_the_projects_flask(
    tmp_path: Path,
) -> None:
    source = "from shop.setup import build\n\n\ndef create_app():\n    return build()\n"

    spec = detected(tmp_path, {"shop/__init__.py": source})

    assert (spec.detector, spec.framework, spec.app) == ("flask", "flask", "shop:create_app()")


def test_modules_under_tests_docs_and_migrations_are_never_the_app(tmp_path: Path) -> None:
    app = "from flask import Flask\n\napp = Flask(__name__)\n"
    files = {
        "shop/__init__.py": FACTORY,
        "shop/tests/conftest.py": app,
        "shop/docs/example.py": app,
        "shop/migrations/env.py": app,
    }

    assert detected(tmp_path, files).app == "shop:create_app()"


# --- package-mode = false: the root's modules are the project's ----------------------------

NON_PACKAGE = """
    [tool.poetry]
    package-mode = false

    [tool.poetry.dependencies]
    python = ">=3.11"
    flask = "^3.1"
    gunicorn = "^23.0"
"""


def test_a_non_package_project_is_served_from_its_root_module(tmp_path: Path) -> None:
    root = flask_project(
        tmp_path / "scripts-app",
        {"app.py": "from flask import Flask\n\napp = Flask(__name__)\n"},
        pyproject=NON_PACKAGE,
    )

    spec = detect(load_project(root), Options())

    assert (spec.detector, spec.app, spec.found_in) == ("flask", "app:app", "app.py: app")
    assert spec.production_command == (*GUNICORN_FOR_FLASK, "app:app")


def test_manage_setup_conftest_and_noxfile_at_the_root_are_not_candidates(
    tmp_path: Path,
) -> None:
    app = "from flask import Flask\n\napp = Flask(__name__)\n"
    files = {
        "wsgi.py": app,
        **{f"{name}.py": app for name in ("manage", "setup", "conftest", "noxfile")},
    }
    root = flask_project(tmp_path / "scripts-app", files, pyproject=NON_PACKAGE)

    assert detect(load_project(root), Options()).app == "wsgi:app"


# --- the ordered registry -------------------------------------------------------------------


def test_the_registry_tries_the_most_specific_detector_first() -> None:
    assert [d.name for d in DETECTORS] == [
        "django", "dash", "streamlit", "sanic", "aiohttp", "asgi", "flask", "celery",
        "console-script", "module", "command",
    ]  # fmt: skip


def test_every_serve_value_is_a_detector_and_every_detector_is_one() -> None:
    assert list(typing.get_args(Serve)) == ["auto", *(d.name for d in DETECTORS)]


def test_the_serve_options_rule_help_and_shipped_schema_offer_exactly_the_registry() -> None:
    names = ["auto", *(d.name for d in DETECTORS)]
    assert schema.RULES["serve"].schema == {"enum": names}
    assert schema.get_schema()["definitions"]["serve"]["enum"] == names
    assert FIELDS["serve"].metadata["help"].endswith(": " + ", ".join(names[1:]) + ".")


def test_only_fallbacks_are_tried_after_the_web_detectors() -> None:
    kinds = [d.fallback for d in DETECTORS]
    assert kinds == sorted(kinds)  # every web detector before every fallback
    assert [d.name for d in DETECTORS if d.fallback] == [
        "celery", "console-script", "module", "command"
    ]  # fmt: skip


def test_every_detector_says_what_it_looks_for_in_the_error() -> None:
    assert [f"{d.name}: {d.looks_for}" for d in DETECTORS] == list(LOOKED_FOR.values())


MANAGE = 'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n'
SETTINGS = 'WSGI_APPLICATION = "shop.wsgi.application"\n'
FLASK_APP = "from flask import Flask\n\napp = Flask(__name__)\n"
FASTAPI_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def test_django_wins_over_a_flask_app_in_the_same_project(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": pep621(dependencies=["django>=5.2", "flask>=3.1", "gunicorn>=23"]),
        "manage.py": MANAGE,
        "shop/__init__.py": "",
        "shop/settings.py": SETTINGS,
        "shop/legacy.py": FLASK_APP,
    }
    lock = lock_text(
        locked("django", "5.2.8"), locked("flask", "3.1.3"), locked("gunicorn", "23.0.0")
    )
    project = load_project(write_project(tmp_path, files, lock=lock))

    spec = detect(project, Options())

    assert (spec.detector, spec.app) == ("django", "shop.wsgi:application")


@pytest.fixture
def flask_and_fastapi(tmp_path: Path) -> Path:
    """A project with a Flask app and a FastAPI app, and servers for both."""
    files = {
        "pyproject.toml": pep621(dependencies=["fastapi", "flask", "gunicorn", "uvicorn"]),
        "shop/__init__.py": "",
        "shop/site.py": FLASK_APP,
        "shop/api.py": FASTAPI_APP,
    }
    lock = lock_text(
        locked("fastapi", "0.121.0"),
        locked("flask", "3.1.3"),
        locked("gunicorn", "23.0.0"),
        locked("uvicorn", "0.38.0"),
    )
    return write_project(tmp_path, files, lock=lock)


def test_asgi_is_tried_before_flask(flask_and_fastapi: Path) -> None:
    spec = detect(load_project(flask_and_fastapi), Options())

    assert (spec.detector, spec.framework, spec.app) == ("asgi", "fastapi", "shop.api:app")


def test_the_serve_option_skips_the_detectors_before_the_one_it_names(
    flask_and_fastapi: Path,
) -> None:
    spec = detect(load_project(flask_and_fastapi), Options(serve="flask"))

    assert (spec.detector, spec.framework, spec.app) == ("flask", "flask", "shop.site:app")


def test_the_serve_option_can_choose_a_console_script_over_a_web_app(tmp_path: Path) -> None:
    pyproject = pep621(extra='\n[project.scripts]\nshop-admin = "shop.admin:main"\n')
    project = load_project(
        flask_project(tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pyproject)
    )

    assert detect(project, Options()).detector == "flask"
    forced = detect(project, Options(serve="console-script"))
    assert (forced.detector, forced.app, forced.production_entrypoint) == (
        "console-script",
        "shop-admin",
        ("shop-admin",),
    )


@pytest.mark.parametrize("serve", ["django", "asgi", "console-script"])
def test_serve_naming_a_detector_that_does_not_match_says_what_that_one_looked_for(
    tmp_path: Path, serve: Serve
) -> None:
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": FACTORY}))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options(serve=serve))

    assert str(raised.value) == (
        f"quatrain cannot tell how shop is served (serve = '{serve}'). "
        f"It looked for {LOOKED_FOR[serve]}. {SAY_IT}"
    )


def test_serve_flask_on_a_project_without_flask_is_a_detection_error(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": pep621(dependencies=["fastapi", "uvicorn"]),
        "shop/api.py": FASTAPI_APP,
    }
    lock = lock_text(locked("fastapi", "0.121.0"), locked("uvicorn", "0.38.0"))
    project = load_project(write_project(tmp_path, {**files, "shop/__init__.py": ""}, lock=lock))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options(serve="flask"))

    assert str(raised.value) == (
        "quatrain cannot tell how shop is served (serve = 'flask'). "
        f"It looked for {LOOKED_FOR['flask']}. {SAY_IT}"
    )


def test_nothing_to_serve_is_a_detection_error_that_lists_every_detector(
    tmp_path: Path,
) -> None:
    files = {"pyproject.toml": pep621(dependencies=["requests"]), "shop/__init__.py": ""}
    project = load_project(write_project(tmp_path, files, lock=lock_text(locked("requests"))))

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert raised.value.return_code == 4
    assert str(raised.value) == (NOT_DETECTED)


def test_a_package_with_a_main_module_runs_as_python_m_and_must_stay_up(tmp_path: Path) -> None:
    pyproject = (
        '[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\npython = "^3.11"\n'
    )
    files = {"bot/__init__.py": "", "bot/__main__.py": "print('hi')\n", "tests/__main__.py": ""}
    root = write_project(tmp_path, {"pyproject.toml": pyproject, **files}, lock=lock_text())

    spec = detect(load_project(root), Options())

    assert (spec.detector, spec.kind, spec.production_command) == (
        "module",
        "worker",
        ("python", "-m", "bot"),
    )
    assert spec.found_in == "bot/__main__.py"


@pytest.mark.parametrize(
    ("files", "command", "runs_as_script"),
    [
        # Lems0n/aiogram_template: app/__main__.py does `from handlers import ...`, and
        # handlers is app/handlers: `python -m app` cannot find it, `python app` does.
        ({"app/__main__.py": "from handlers import setup\n", "app/handlers/__init__.py": ""},
         ("python", "app"), True),
        # the same with an __init__.py: still its directory that the imports need
        ({"app/__init__.py": "", "app/__main__.py": "import config\n", "app/config.py": ""},
         ("python", "app"), True),
        # relative imports need the package: python -m
        ({"app/__init__.py": "", "app/__main__.py": "from .config import X\nimport config\n",
          "app/config.py": ""}, ("python", "-m", "app"), False),
        # the imported name is at the root too: the root (python -m's sys.path) may be meant
        ({"app/__main__.py": "import config\n", "app/config.py": "", "config.py": ""},
         ("python", "-m", "app"), False),
        # imports by the package's name
        ({"app/__init__.py": "", "app/__main__.py": "from app import config\n",
          "app/config.py": ""}, ("python", "-m", "app"), False),
    ],
)  # fmt: skip
def test_a_main_module_that_imports_its_siblings_runs_as_the_script_its_authors_run(
    tmp_path: Path, files: dict[str, str], command: tuple[str, ...], runs_as_script: bool
) -> None:
    pyproject = "[tool.poetry]\npackage-mode = false\n"
    root = write_project(tmp_path, {"pyproject.toml": pyproject, **files}, lock=lock_text())

    spec = detect(load_project(root), Options())

    assert spec.production_command == spec.development_command == command
    assert spec.found_in.endswith("beside it: run as a script)") is runs_as_script


def test_a_command_option_wins_over_a_main_module(tmp_path: Path) -> None:
    pyproject = "[tool.poetry]\npackage-mode = false\n"
    files = {"bot/__main__.py": "", "bot/__init__.py": ""}
    root = write_project(tmp_path, {"pyproject.toml": pyproject, **files}, lock=lock_text())

    spec = detect(load_project(root), Options(command=("python", "-m", "bot", "--fast")))

    assert (spec.detector, spec.production_command) == (
        "command",
        ("python", "-m", "bot", "--fast"),
    )


def test_aiohttp_as_a_bots_http_client_is_no_web_app_to_look_for(tmp_path: Path) -> None:
    # discord.py needs aiohttp; nothing imports aiohttp.web: the bot's script is what runs.
    bot = (
        "import discord\n\nclient = discord.Client(intents=discord.Intents.default())\n\n"
        'if __name__ == "__main__":\n    client.run("token")\n'
    )
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": pep621("disbot", dependencies=["aiohttp", "discord-py"])
            + "[tool.poetry]\npackage-mode = false\n",
            "bot/main.py": bot,
            "bot/commands.py": "from discord.ext import commands\n",
        },
        lock=lock_text(locked("aiohttp", "3.10.10"), locked("discord-py", "2.5.2")),
    )

    spec = detect(load_project(root), Options())

    assert (spec.detector, spec.production_command) == ("module", ("python", "-m", "bot.main"))


VM_CONFIG = """import multiprocessing

bind = "unix:/run/shop.sock"
daemon = True
workers = 4
timeout = 120
preload_app = True
threads = multiprocessing.cpu_count()
accesslog = "/var/log/shop/access.log"
pidfile = "/var/run/shop.pid"


def on_starting(server):
    server.log.info("starting")
"""


def test_a_gunicorn_conf_written_for_a_vm_is_not_read_and_its_capacity_becomes_flags(
    tmp_path: Path,
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY, "gunicorn.conf.py": VM_CONFIG})

    plan = make_plan(root, env={}, cli={})

    command = plan.spec.production_command
    assert command[:2] == ("gunicorn", "--config=/dev/null")
    assert command[-4:] == ("--workers=4", "--timeout=120", "--preload", "shop:create_app()")
    assert (
        "gunicorn.conf.py is not read by the image's gunicorn: kept workers = 4, timeout = 120, "
        "preload_app = True (as flags); left out bind, daemon, threads, accesslog, pidfile, "
        "on_starting (the image binds $PORT, stays in the foreground, logs to stdout and runs "
        "as its own user)."
    ) in plan.warnings
    assert (
        "# --config=/dev/null: the project's gunicorn.conf.py is not read"
        in (plan.files["Dockerfile"])
    )


def test_without_a_gunicorn_conf_the_command_is_quatrains_own(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})

    command = make_plan(root, env={}, cli={}).spec.production_command

    assert "--config=/dev/null" not in command


def test_a_bot_in_a_root_main_module_runs_as_the_file_since_python_m_cannot_find_it(
    tmp_path: Path,
) -> None:
    # Kuziil/tg_bot_for_ag (round 11): `python -m __main__` fails ("__main__.__spec__ is None").
    pyproject = (
        '[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\npython = "^3.11"\n'
        'aiogram = "^3.3"\n'
    )
    files = {
        "__main__.py": "import asyncio\nfrom aiogram import Bot\nfrom handlers import main\n\n"
        "if __name__ == '__main__':\n    asyncio.run(main())\n",
        "handlers/__init__.py": "async def main(): ...\n",
    }
    lock = lock_text(locked("aiogram", "3.3.0"))
    root = write_project(tmp_path, {"pyproject.toml": pyproject, **files}, lock=lock)

    spec = detect(load_project(root), Options())

    assert spec.production_command == spec.development_command == ("python", "__main__.py")
    assert spec.found_in.startswith("__main__.py")


def test_a_console_script_whose_module_imports_a_bot_library_runs_as_the_bot(
    tmp_path: Path,
) -> None:
    # Kuzat/Mr-Roller-the-Bot (round 11): `poetry run bot`, discord.py; was refused.
    pyproject = (
        '[tool.poetry]\nname = "roller"\nversion = "0.1.0"\npackages = [{include = "roller"}]\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\n"discord.py" = "^2.1"\n'
        '[tool.poetry.scripts]\nbot = "roller.main:main"\nreport = "roller.report:main"\n'
    )
    files = {
        "roller/__init__.py": "",
        "roller/main.py": "import discord\n\ndef main():\n    discord.Client().run('t')\n",
        "roller/report.py": "def main():\n    print('report')\n",
    }
    lock = lock_text(locked("discord.py", "2.1.0"))
    root = write_project(tmp_path, {"pyproject.toml": pyproject, **files}, lock=lock)

    spec = detect(load_project(root), Options())

    assert (spec.kind, spec.framework, spec.app) == ("worker", "discord-py", "bot")
    assert spec.production_command == spec.development_command == ("bot",)
    assert spec.production_entrypoint == ()


def test_a_web_framework_without_an_app_names_the_one_script_below_the_root_that_runs_itself(
    tmp_path: Path,
) -> None:
    # KuvaevM/puthon-web-2022 (round 11): fastapi locked, unused; the program is src/server.py.
    server = "import grpc\n\nif __name__ == '__main__':\n    serve()\n"
    files = {
        "src/server.py": server,
        "src/client.py": "import grpc\n",
        "tests/run.py": "if __name__ == '__main__':\n    pass\n",  # tests are never the program
    }
    root = flask_project(tmp_path, files)

    with pytest.raises(DetectionError) as raised:
        detect(load_project(root), Options())

    assert 'set command = ["python", "src/server.py"]' in str(raised.value)

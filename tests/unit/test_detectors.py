"""The ASGI, Django and console-script detectors, on projects built in tmp_path.

Flask, the registry and the `serve` option are in test_detect.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from quatrain.detectors.detect import ServeSpec, detect
from quatrain.detectors.django import DjangoDetector
from quatrain.detectors.processes import ConsoleScriptDetector
from quatrain.detectors.web import AsgiDetector
from quatrain.errors import DetectionError, ProjectError
from quatrain.reading.project import Project, load_project
from quatrain.settings.options import Options
from unit.conftest import lock_text, locked, pep621, write_project

GUNICORN = ("gunicorn", "--graceful-timeout=8")
TMP_DIR = "--worker-tmp-dir=/dev/shm"
CONTROL = "--control-socket=/dev/shm/gunicorn.ctl"  # gunicorn 25.1 and later
UVICORN_WORKER = "--worker-class=uvicorn_worker.UvicornWorker"
# gunicorn + uvicorn-worker, as Poetry locks `poetry add gunicorn uvicorn-worker`.
GUNICORN_UVICORN_LOCK = (
    locked("gunicorn", "23.0.0"),
    locked("uvicorn", "0.38.0"),
    locked("uvicorn-worker", "0.4.0"),
)


def project_with(
    root: Path,
    files: Mapping[str, str],
    *,
    dependencies: Sequence[str],
    lock: Sequence[str],
    name: str = "api",
    extra: str = "",
) -> Project:
    pyproject = pep621(name, dependencies=dependencies, extra=extra)
    tree = {"pyproject.toml": pyproject, **files}
    return load_project(write_project(root, tree, lock=lock_text(*lock)))


# --- ASGI -----------------------------------------------------------------------------------


def fastapi_project(root: Path, files: Mapping[str, str], *lock: str) -> Project:
    return project_with(
        root,
        {"api/__init__.py": "", **files},
        dependencies=["fastapi", "gunicorn", "uvicorn-worker"],
        lock=(locked("fastapi", "0.121.0"), *lock),
    )


def test_a_fastapi_object_is_served_by_gunicorn_with_uvicorns_worker(tmp_path: Path) -> None:
    files = {"api/main.py": "from fastapi import FastAPI\n\napp = FastAPI(title='api')\n"}

    spec = detect(fastapi_project(tmp_path, files, *GUNICORN_UVICORN_LOCK), Options())

    assert spec == ServeSpec(
        detector="asgi",
        kind="asgi",
        framework="fastapi",
        app="api.main:app",
        found_in="api/main.py: app",
        production_command=(*GUNICORN, UVICORN_WORKER, TMP_DIR, "api.main:app"),
        development_command=(
            "sh",
            "-c",
            'exec uvicorn "$1" --reload --host 0.0.0.0 --port "$PORT"',
            "sh",
            "api.main:app",
        ),
        production_server="gunicorn",
        reloads=True,
    )
    assert spec.http is True


@pytest.mark.parametrize(
    ("constructor", "dependency", "framework"),
    [
        ("fastapi.FastAPI()", "fastapi", "fastapi"),
        ("starlette.applications.Starlette(routes=[])", "starlette", "starlette"),
        ("litestar.Litestar(route_handlers=[])", "litestar", "litestar"),
        ("quart.Quart(__name__)", "quart", "quart"),
    ],
)
def test_each_asgi_framework_is_recognised_by_its_constructor(
    tmp_path: Path, constructor: str, dependency: str, framework: str
) -> None:
    module = constructor.split(".")[0]
    files = {"api/__init__.py": f"import {module}\n\napplication = {constructor}\n"}
    project = project_with(
        tmp_path,
        files,
        dependencies=[dependency, "uvicorn"],
        lock=(locked(dependency), locked("uvicorn")),
    )

    spec = detect(project, Options())

    assert (spec.detector, spec.kind, spec.framework, spec.app) == (
        "asgi",
        "asgi",
        framework,
        "api:application",
    )


def test_a_quart_app_is_asgi_even_in_a_project_that_also_depends_on_flask(
    tmp_path: Path,
) -> None:
    files = {"api/__init__.py": "from quart import Quart\n\napp = Quart(__name__)\n"}
    project = project_with(
        tmp_path,
        files,
        dependencies=["flask", "quart", "uvicorn"],
        lock=(locked("flask"), locked("quart"), locked("uvicorn")),
    )

    spec = detect(project, Options())

    assert (spec.detector, spec.framework) == ("asgi", "quart")


FACTORY = "from fastapi import FastAPI\n\n\ndef create_app():\n    return FastAPI()\n"


def test_a_factory_served_by_uvicorn_alone_is_loaded_with_factory(tmp_path: Path) -> None:
    project = project_with(
        tmp_path,
        {"api/__init__.py": FACTORY},
        dependencies=["fastapi", "uvicorn"],
        lock=(locked("fastapi"), locked("uvicorn", "0.38.0")),
    )

    spec = detect(project, Options())

    assert spec.app == "api:create_app()"
    assert spec.found_in == "api/__init__.py: create_app()"
    assert spec.production_command == (
        "sh",
        "-c",
        'exec uvicorn "$1" --factory --host 0.0.0.0 --port "$PORT" --proxy-headers --no-access-log',
        "sh",
        "api:create_app",
    )
    assert spec.development_command == (
        "sh",
        "-c",
        'exec uvicorn "$1" --factory --reload --host 0.0.0.0 --port "$PORT"',
        "sh",
        "api:create_app",
    )
    assert spec.production_server == "uvicorn"


def test_gunicorn_calls_a_factory_itself(tmp_path: Path) -> None:
    project = fastapi_project(tmp_path, {"api/__init__.py": FACTORY}, *GUNICORN_UVICORN_LOCK)

    assert detect(project, Options()).production_command == (
        *GUNICORN,
        UVICORN_WORKER,
        TMP_DIR,
        "api:create_app()",
    )


@pytest.mark.parametrize(
    ("lock", "production", "server"),
    [
        (GUNICORN_UVICORN_LOCK, (*GUNICORN, UVICORN_WORKER, TMP_DIR, "api:app"), "gunicorn"),
        (
            (locked("gunicorn", "23.0.0"), locked("uvicorn", "0.38.0")),
            (*GUNICORN, "--worker-class=uvicorn.workers.UvicornWorker", TMP_DIR, "api:app"),
            "gunicorn",
        ),
        (
            (locked("gunicorn", "25.1.0"),),
            (*GUNICORN, "--worker-class=asgi", "--reuse-port", TMP_DIR, CONTROL, "api:app"),
            "gunicorn",
        ),
        (
            (locked("uvicorn", "0.38.0"),),
            (
                "sh",
                "-c",
                'exec uvicorn "$1" --host 0.0.0.0 --port "$PORT" --proxy-headers --no-access-log',
                "sh",
                "api:app",
            ),
            "uvicorn",
        ),
    ],
    ids=["gunicorn-uvicorn-worker", "gunicorn-uvicorn", "gunicorn-25.1", "uvicorn"],
)
def test_the_asgi_server_follows_what_the_project_locks(
    tmp_path: Path, lock: Sequence[str], production: tuple[str, ...], server: str
) -> None:
    files = {"api/__init__.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
    project = fastapi_project(tmp_path, files, *lock)

    spec = detect(project, Options())

    assert spec.production_command == production
    assert spec.production_server == server


def test_gunicorn_25_1_alone_reloads_through_gunicorn_in_development(tmp_path: Path) -> None:
    files = {"api/__init__.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
    project = fastapi_project(tmp_path, files, locked("gunicorn", "25.1.0"))

    assert detect(project, Options()).development_command == (
        *GUNICORN,
        "--worker-class=asgi",
        "--reuse-port",
        TMP_DIR,
        CONTROL,
        "--reload",
        "api:app",
    )


@pytest.mark.parametrize(
    ("lock", "development"),
    [
        ((), (*GUNICORN, "--worker-class=asgi", "--reuse-port", TMP_DIR, CONTROL, "--reload",
              "api:app")),
        ((locked("uvicorn", groups=["dev"]),),
         ("sh", "-c", 'exec uvicorn "$1" --reload --host 0.0.0.0 --port "$PORT"', "sh", "api:app")),
    ],
    ids=["nothing", "uvicorn-dev-only"],
)  # fmt: skip
def test_an_asgi_app_without_a_server_in_production_gets_gunicorns_asgi_worker_brought(
    tmp_path: Path, lock: Sequence[str], development: tuple[str, ...]
) -> None:
    files = {"api/__init__.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
    project = fastapi_project(tmp_path, files, *lock)

    spec = detect(project, Options())

    assert spec.production_command == (
        *GUNICORN, "--worker-class=asgi", "--reuse-port", TMP_DIR, CONTROL, "api:app",
    )  # fmt: skip
    assert [(p.name, p.version) for p in spec.brought_packages] == [("gunicorn", "27.0.1")]
    assert spec.development_command == development


def test_an_asgi_app_whose_own_gunicorn_is_too_old_for_its_asgi_worker_is_an_error(
    tmp_path: Path,
) -> None:
    files = {"api/__init__.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
    project = fastapi_project(tmp_path, files, locked("gunicorn", "25.0.3"))

    with pytest.raises(ProjectError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        "api is an ASGI app, and its production image needs a server that the project locks "
        "as a runtime dependency; none is. Run `poetry add gunicorn uvicorn-worker` and build "
        "again."
    )


def test_two_asgi_apps_are_a_detection_error_that_lists_both(tmp_path: Path) -> None:
    files = {
        "api/__init__.py": FACTORY,
        "api/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    }

    with pytest.raises(DetectionError) as raised:
        detect(fastapi_project(tmp_path, files, *GUNICORN_UVICORN_LOCK), Options())

    assert str(raised.value) == (
        "Found more than one app in api: `api:create_app()` (api/__init__.py: create_app()), "
        "`api.main:app` (api/main.py: app). Choose one with "
        'app = "module:attribute" in [tool.quatrain] (or --app).'
    )


def test_the_app_option_chooses_between_asgi_apps(tmp_path: Path) -> None:
    files = {
        "api/__init__.py": FACTORY,
        "api/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    }
    project = fastapi_project(tmp_path, files, locked("uvicorn", "0.38.0"))

    spec = detect(project, Options(app="api:create_app()"))

    assert (spec.app, spec.found_in, spec.framework) == (
        "api:create_app()",
        "the app option",
        "fastapi",
    )
    assert 'exec uvicorn "$1" --factory --host' in spec.production_command[2]
    assert spec.production_command[-1] == "api:create_app"


def test_an_asgi_dependency_without_an_app_is_not_asgi(tmp_path: Path) -> None:
    project = fastapi_project(tmp_path, {"api/models.py": "NAME = 'api'\n"}, *GUNICORN_UVICORN_LOCK)

    assert AsgiDetector().detect(project, Options()) is None


# --- Django ---------------------------------------------------------------------------------

MANAGE = """
    #!/usr/bin/env python
    import os
    import sys


    def main():
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)


    if __name__ == "__main__":
        main()
"""
SETTINGS = """
    from pathlib import Path

    BASE_DIR = Path(__file__).resolve().parent.parent
    INSTALLED_APPS = ["django.contrib.contenttypes"]
    ROOT_URLCONF = "mysite.urls"
    WSGI_APPLICATION = "mysite.wsgi.application"
    ASGI_APPLICATION = "mysite.asgi.application"
"""
DJANGO_LOCK = (locked("django", "5.2.8"), locked("gunicorn", "23.0.0"))


def django_project(
    root: Path,
    *,
    settings: str = SETTINGS,
    manage: str = MANAGE,
    lock: Sequence[str] = DJANGO_LOCK,
    extra: str = "",
) -> Project:
    files = {
        "manage.py": manage,
        "mysite/__init__.py": "",
        "mysite/settings.py": settings,
        "mysite/wsgi.py": "application = None\n",
        "mysite/asgi.py": "application = None\n",
    }
    dependencies = ["django>=5.2", "gunicorn>=23", "uvicorn"]
    return project_with(
        root, files, dependencies=dependencies, lock=lock, name="mysite", extra=extra
    )


def test_a_django_project_is_served_by_gunicorn_from_its_wsgi_application(
    tmp_path: Path,
) -> None:
    spec = detect(django_project(tmp_path), Options())

    assert spec == ServeSpec(
        detector="django",
        kind="wsgi",
        framework="django",
        app="mysite.wsgi:application",
        found_in="manage.py -> mysite.settings.WSGI_APPLICATION",
        production_command=(*GUNICORN, "--threads=4", TMP_DIR, "mysite.wsgi:application"),
        development_command=("sh", "-c", 'exec python manage.py runserver "0.0.0.0:$PORT"'),
        production_env=(("DJANGO_SETTINGS_MODULE", "mysite.settings"),),
        development_env=(("DJANGO_SETTINGS_MODULE", "mysite.settings"),),
        production_server="gunicorn",
        reloads=True,
    )


def test_a_django_project_locking_uvicorn_is_served_from_its_asgi_application(
    tmp_path: Path,
) -> None:
    project = django_project(tmp_path, lock=(*DJANGO_LOCK, locked("uvicorn", "0.38.0")))

    spec = detect(project, Options())

    assert (spec.kind, spec.app, spec.found_in) == (
        "asgi",
        "mysite.asgi:application",
        "manage.py -> mysite.settings.ASGI_APPLICATION",
    )
    assert spec.production_command == (
        *GUNICORN,
        "--worker-class=uvicorn.workers.UvicornWorker",
        TMP_DIR,
        "mysite.asgi:application",
    )
    # Django's own server in development, whatever serves production.
    assert spec.development_command == (
        "sh",
        "-c",
        'exec python manage.py runserver "0.0.0.0:$PORT"',
    )


def test_a_django_asgi_application_without_uvicorn_locked_is_served_as_wsgi(
    tmp_path: Path,
) -> None:
    spec = detect(django_project(tmp_path, lock=DJANGO_LOCK), Options())

    assert (spec.kind, spec.app) == ("wsgi", "mysite.wsgi:application")


EMPTY_ROUTER = (
    "from channels.routing import ProtocolTypeRouter\n\napplication = ProtocolTypeRouter({\n\n})\n"
)


@pytest.mark.parametrize(
    ("routing", "kind"),
    [
        (EMPTY_ROUTER, "wsgi"),
        (
            "import channels.routing\napplication = channels.routing.ProtocolTypeRouter({})\n",
            "wsgi",
        ),
        ('application = ProtocolTypeRouter({"websocket": URLRouter([])})\n', "asgi"),
        ("application = ProtocolTypeRouter({})\napplication = make_asgi()\n", "asgi"),
        ("application = ProtocolTypeRouter(routes)\n", "asgi"),
    ],
)
def test_an_asgi_application_of_channels_routing_nothing_is_served_from_wsgi(
    tmp_path: Path, routing: str, kind: str
) -> None:
    """Olzhassss/beta: Channels 2's tutorial routing.py, on Channels 3.0.4, which makes Django's
    handler at import for the missing "http" and fails with AppRegistryNotReady."""
    project = django_project(
        tmp_path,
        settings=SETTINGS.replace("mysite.asgi.application", "mysite.routing.application"),
        lock=(*DJANGO_LOCK, locked("uvicorn", "0.38.0")),
    )
    (tmp_path / "mysite" / "routing.py").write_text(routing)

    spec = detect(project, Options())

    assert spec.kind == kind
    if kind == "wsgi":
        assert (spec.app, spec.found_in) == (
            "mysite.wsgi:application",
            "manage.py -> mysite.settings.WSGI_APPLICATION; ASGI_APPLICATION "
            "mysite.routing.application routes nothing of its own",
        )


def test_the_app_option_replaces_the_django_setting(tmp_path: Path) -> None:
    spec = detect(django_project(tmp_path), Options(app="mysite.other:app"))

    assert spec.app == "mysite.other:app"
    assert spec.production_command[-1] == "mysite.other:app"


SETTINGS_NOT_FOUND = (
    "mysite is a Django site, but quatrain could not find its settings module{} among the "
    "project's modules. It reads DJANGO_SETTINGS_MODULE from manage.py and from "
    'wsgi.py/asgi.py (os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pkg.settings")). '
    'Say what to serve: app = "pkg.wsgi:application" in [tool.quatrain] (or --app).'
)


@pytest.mark.parametrize(
    ("manage", "named"),
    [
        ("import os\n", ""),
        (
            'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "elsewhere.settings")\n',
            " (elsewhere.settings)",
        ),
        (
            'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.missing")\n',
            " (mysite.missing)",
        ),
    ],
    ids=["no-setdefault", "outside-the-package", "no-such-module"],
)
def test_a_manage_py_whose_settings_cannot_be_found_is_a_detection_error(
    tmp_path: Path, manage: str, named: str
) -> None:
    project = django_project(tmp_path, manage=manage)
    for name in ("wsgi.py", "asgi.py"):
        (tmp_path / "mysite" / name).unlink()

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == SETTINGS_NOT_FOUND.format(named)


def test_settings_named_only_by_wsgi_py_are_found_when_manage_py_names_none(
    tmp_path: Path,
) -> None:
    project = django_project(tmp_path, manage="import os\n")
    wsgi = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
    (tmp_path / "mysite/wsgi.py").write_text(wsgi + "application = None\n")

    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == (
        "mysite.wsgi:application",
        "mysite/wsgi.py -> mysite.settings.WSGI_APPLICATION",
    )


def test_the_app_option_is_honoured_when_the_settings_cannot_be_found(tmp_path: Path) -> None:
    project = django_project(tmp_path, manage="import os\n")
    for name in ("wsgi.py", "asgi.py"):
        (tmp_path / "mysite" / name).unlink()

    spec = detect(project, Options(app="mysite.web:application"))

    assert (spec.detector, spec.app, spec.found_in) == (
        "django",
        "mysite.web:application",
        "the app option",
    )
    assert spec.production_env == ()
    assert spec.production_command[-1] == "mysite.web:application"


def test_serve_django_with_nothing_found_says_what_to_set(tmp_path: Path) -> None:
    files = {"mysite/__init__.py": "", "mysite/views.py": ""}
    project = project_with(
        tmp_path, files, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    with pytest.raises(DetectionError) as raised:
        detect(project, Options(serve="django"))

    assert str(raised.value) == SETTINGS_NOT_FOUND.format("")


# A cookiecutter-django layout: config/ beside the app package, settings split in a package.
COOKIECUTTER = {
    "manage.py": (
        "import os\nimport sys\n\nif __name__ == '__main__':\n"
        '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")\n'
    ),
    "config/__init__.py": "",
    "config/settings/__init__.py": "",
    "config/settings/base.py": (
        'INSTALLED_APPS = ["django.contrib.staticfiles"]\n'
        'STATIC_ROOT = str(BASE_DIR / "staticfiles")\n'
        'WSGI_APPLICATION = "config.wsgi.application"\n'
    ),
    "config/settings/local.py": "from .base import *  # noqa: F403\nDEBUG = True\n",
    "config/settings/production.py": "from .base import *  # noqa: F403\nDEBUG = False\n",
    "config/wsgi.py": (
        "import os\nfrom django.core.wsgi import get_wsgi_application\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")\n'
        "application = get_wsgi_application()\n"
    ),
    "mysite/__init__.py": "",
}


def test_a_settings_package_is_read_through_its_star_imports(tmp_path: Path) -> None:
    project = project_with(
        tmp_path, COOKIECUTTER, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    spec = detect(project, Options())

    assert (spec.app, spec.found_in, spec.production_env) == (
        "config.wsgi:application",
        "config/wsgi.py -> config.settings.production.WSGI_APPLICATION (manage.py names "
        "config.settings.local, for development)",
        (("DJANGO_SETTINGS_MODULE", "config.settings.production"),),
    )
    assert spec.production_steps == ("python -m django collectstatic --noinput",)


def test_production_gets_the_settings_its_wsgi_module_names_and_development_manage_pys(
    tmp_path: Path,
) -> None:
    """AsankaL/django-starter and cookiecutter-django: manage.py names the local settings,
    wsgi.py the production ones, which are what gunicorn runs with."""
    project = project_with(
        tmp_path, COOKIECUTTER, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    spec = detect(project, Options())

    assert spec.production_env == (("DJANGO_SETTINGS_MODULE", "config.settings.production"),)
    assert spec.development_env == (("DJANGO_SETTINGS_MODULE", "config.settings.local"),)


def test_settings_assigned_by_item_in_wsgi_py_are_found(tmp_path: Path) -> None:
    files = {
        "config/__init__.py": "",
        "config/settings.py": 'WSGI_APPLICATION = "config.wsgi.application"\n',
        "config/wsgi.py": (
            'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"\n'
            "application = None\n"
        ),
        "mysite/__init__.py": "",
    }
    project = project_with(
        tmp_path, files, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == (
        "config.wsgi:application",
        "config/wsgi.py -> config.settings.WSGI_APPLICATION",
    )


@pytest.mark.parametrize(
    "wsgi_application",
    ['WSGI_APPLICATION = env("WSGI_APP")\n', "", 'WSGI_APPLICATION = "not a path"\n'],
    ids=["not-a-literal", "missing", "not-a-dotted-path"],
)
def test_settings_without_a_literal_wsgi_application_serve_the_wsgi_module_above_them(
    tmp_path: Path, wsgi_application: str
) -> None:
    files = {
        **COOKIECUTTER,
        "config/settings/base.py": wsgi_application,
    }
    project = project_with(
        tmp_path, files, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == (
        "config.wsgi:application",
        "config/wsgi.py -> config.settings.production -> config/wsgi.py: application (manage.py "
        "names config.settings.local, for development)",
    )


def test_a_wsgi_module_found_anywhere_is_served_when_none_is_beside_the_settings(
    tmp_path: Path,
) -> None:
    files = {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.base")\n',
        "conf/__init__.py": "",
        "conf/base.py": "DEBUG = False\n",
        "deploy/__init__.py": "",
        "deploy/wsgi.py": "application = None\n",
        "mysite/__init__.py": "",
    }
    project = project_with(
        tmp_path, files, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    assert detect(project, Options()).app == "deploy.wsgi:application"


def test_no_wsgi_module_to_serve_is_a_detection_error_that_says_set_app(tmp_path: Path) -> None:
    files = {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.base")\n',
        "conf/__init__.py": "",
        "conf/base.py": "DEBUG = False\n",
        "mysite/__init__.py": "",
    }
    project = project_with(
        tmp_path, files, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        "mysite's settings conf.base have no literal WSGI_APPLICATION, and quatrain found no "
        "single wsgi module to serve instead (there is none). Say which: "
        'app = "module.path:application" in [tool.quatrain] (or --app).'
    )


@pytest.mark.parametrize(
    "asgi",
    ['"mysite.asgi.application; rm -rf /"', '"mysite.asgi:application"', "get_asgi()"],
    ids=["shell-text", "colon", "not-a-literal"],
)
def test_an_asgi_application_that_is_not_a_dotted_path_never_reaches_the_command(
    tmp_path: Path, asgi: str
) -> None:
    settings = f'WSGI_APPLICATION = "mysite.wsgi.application"\nASGI_APPLICATION = {asgi}\n'
    lock = (*DJANGO_LOCK, locked("uvicorn", "0.38.0"))

    spec = detect(django_project(tmp_path, settings=settings, lock=lock), Options())

    assert (spec.kind, spec.app) == ("wsgi", "mysite.wsgi:application")
    assert spec.production_command[-1] == "mysite.wsgi:application"


def test_a_django_dependency_without_manage_py_or_settings_is_not_django(tmp_path: Path) -> None:
    files = {"mysite/__init__.py": "", "mysite/orm.py": "import django\n"}
    project = project_with(
        tmp_path, files, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    assert DjangoDetector().detect(project, Options()) is None


@pytest.mark.parametrize(
    ("installed", "static_root", "steps"),
    [
        ('["django.contrib.staticfiles"]', 'STATIC_ROOT = BASE_DIR / "static"\n', True),
        ('["django.contrib.staticfiles"]', "", False),
        ('["django.contrib.contenttypes"]', 'STATIC_ROOT = "/srv/static"\n', False),
    ],
    ids=["staticfiles-and-root", "staticfiles-only", "root-only"],
)
def test_collectstatic_runs_only_with_staticfiles_installed_and_a_static_root(
    tmp_path: Path, installed: str, static_root: str, steps: bool
) -> None:
    settings = (
        "from pathlib import Path\n\nBASE_DIR = Path(__file__).resolve().parent\n"
        f"INSTALLED_APPS = {installed}\n{static_root}"
        'WSGI_APPLICATION = "mysite.wsgi.application"\n'
    )

    spec = detect(django_project(tmp_path, settings=settings), Options())

    expected = ("python -m django collectstatic --noinput",) if steps else ()
    assert spec.production_steps == expected


STATIC_SITE = (
    "from pathlib import Path\n\nBASE_DIR = Path(__file__).resolve().parent\n"
    'INSTALLED_APPS = ["django.contrib.staticfiles"]\nSTATIC_ROOT = BASE_DIR / "static"\n'
    'WSGI_APPLICATION = "mysite.wsgi.application"\n'
)
S3 = "storages.backends.s3.S3ManifestStaticStorage"


@pytest.mark.parametrize(
    ("storage", "collects"),
    [
        (f'STORAGES = {{"default": {{"BACKEND": "x"}},\n "staticfiles": {{"BACKEND": "{S3}"}}}}',
         False),
        (f'STATICFILES_STORAGE = "{S3}"', False),
        ('STATICFILES_STORAGE = "cloudinary_storage.storage.StaticHashedCloudinaryStorage"', False),
        ('STORAGES = {"staticfiles": {"BACKEND": '
         '"whitenoise.storage.CompressedManifestStaticFilesStorage"}}', True),
        ('STORAGES = {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}', True),
        ("", True),
    ],
    ids=["storages-s3", "staticfiles-storage-s3", "cloudinary", "whitenoise", "only-media-on-s3",
         "default"],
)  # fmt: skip
def test_collectstatic_is_left_to_the_deploy_when_static_files_go_to_a_remote_storage(
    tmp_path: Path, storage: str, collects: bool
) -> None:
    """bikeshedder/shark keeps its static files on S3: collectstatic in the build would
    upload them from there (it failed, with no S3 to reach)."""
    spec = detect(django_project(tmp_path, settings=STATIC_SITE + storage + "\n"), Options())

    assert bool(spec.production_steps) is collects
    assert bool(spec.warnings) is not collects
    if not collects:
        (warning,) = spec.warnings
        assert warning.startswith("mysite's static files go to ")
        assert warning.endswith("Run `python manage.py collectstatic` when you deploy.")


def test_a_settings_module_that_replaces_the_storages_it_star_imports_collects_again(
    tmp_path: Path,
) -> None:
    base = STATIC_SITE + f'STORAGES = {{"staticfiles": {{"BACKEND": "{S3}"}}}}\n'
    local = (
        "from .base import *  # noqa\n\n"
        'STORAGES = {"staticfiles": {"BACKEND": '
        '"django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}\n'
    )
    project = django_project(tmp_path, settings=local)
    (tmp_path / "mysite" / "base.py").write_text(base)

    spec = detect(project, Options())

    assert spec.production_steps == ("python -m django collectstatic --noinput",)
    assert spec.warnings == ()


def test_a_manage_py_without_a_django_dependency_is_not_django(tmp_path: Path) -> None:
    files = {"manage.py": MANAGE, "mysite/__init__.py": "", "mysite/settings.py": SETTINGS}
    project = project_with(
        tmp_path, files, dependencies=["requests"], lock=(locked("requests"),), name="mysite"
    )

    assert DjangoDetector().detect(project, Options()) is None


def test_a_django_dependency_without_a_manage_py_is_not_django(tmp_path: Path) -> None:
    files = {"mysite/__init__.py": "", "mysite/settings.py": SETTINGS}
    project = project_with(
        tmp_path, files, dependencies=["django"], lock=DJANGO_LOCK, name="mysite"
    )

    assert DjangoDetector().detect(project, Options()) is None


def test_a_django_project_whose_lock_has_no_server_gets_the_pinned_gunicorn(
    tmp_path: Path,
) -> None:
    spec = detect(django_project(tmp_path, lock=(locked("django", "5.2.8"),)), Options())

    assert spec.production_command[0] == "gunicorn"
    assert spec.production_command[-1] == "mysite.wsgi:application"
    assert [(p.name, p.version) for p in spec.brought_packages] == [("gunicorn", "27.0.1")]


def test_settings_without_wsgi_application_serve_the_wsgi_module_beside_them(
    tmp_path: Path,
) -> None:
    settings = 'INSTALLED_APPS = []\nROOT_URLCONF = "mysite.urls"\n'

    spec = detect(django_project(tmp_path, settings=settings), Options())

    assert spec.app == "mysite.wsgi:application"


def test_a_django_site_in_non_package_mode_is_detected(tmp_path: Path) -> None:
    extra = "\n[tool.poetry]\npackage-mode = false\n"

    spec = detect(django_project(tmp_path, extra=extra), Options())

    assert (spec.detector, spec.app) == ("django", "mysite.wsgi:application")


# --- console scripts ------------------------------------------------------------------------


def script_project(root: Path, scripts: str, *, name: str = "greeter") -> Project:
    return project_with(
        root,
        {f"{name}/__init__.py": "", f"{name}/cli.py": "def main():\n    pass\n"},
        dependencies=["colorama"],
        lock=(locked("colorama", "0.4.6"),),
        name=name,
        extra=f"\n[project.scripts]\n{scripts}",
    )


def test_the_one_console_script_is_the_production_entry_point(tmp_path: Path) -> None:
    spec = detect(script_project(tmp_path, 'greet = "greeter.cli:main"\n'), Options())

    assert spec == ServeSpec(
        detector="console-script",
        kind="cli",
        framework="console-script",
        app="greet",
        found_in="scripts: greet = greeter.cli:main",
        production_entrypoint=("greet",),
        production_command=(),
        development_command=("greet", "--help"),
    )
    assert spec.http is False


def test_several_console_scripts_make_a_toolbox_image_that_lists_them(tmp_path: Path) -> None:
    scripts = 'wave = "greeter.cli:wave"\ngreet = "greeter.cli:main"\n'

    spec = detect(script_project(tmp_path, scripts), Options())

    # No entry point: `docker run IMAGE wave --loud` runs any of them; alone, the list.
    assert spec.production_entrypoint == ()
    assert spec.production_command == (
        "sh", "-c", 'printf "%s\\n" "$@"', "sh",
        "greeter: docker run IMAGE COMMAND [ARGS...], with COMMAND one of:", "greet", "wave",
    )  # fmt: skip
    assert (spec.kind, spec.app, spec.loop) == ("cli", "greet", "shell")
    assert spec.found_in == "scripts: greet, wave (none named like the project: all on PATH)"


def test_of_several_console_scripts_the_one_named_like_the_project_is_the_entry_point(
    tmp_path: Path,
) -> None:
    scripts = 'greeter-admin = "greeter.cli:admin"\nGreeter = "greeter.cli:main"\n'

    spec = detect(script_project(tmp_path, scripts), Options())

    assert spec.production_entrypoint == ("Greeter",)
    assert spec.app == "Greeter"


def test_the_app_option_chooses_one_of_several_console_scripts(tmp_path: Path) -> None:
    scripts = 'wave = "greeter.cli:wave"\ngreet = "greeter.cli:main"\n'

    spec = detect(script_project(tmp_path, scripts), Options(app="wave"))

    assert (spec.app, spec.found_in, spec.production_entrypoint) == (
        "wave",
        "scripts: wave = greeter.cli:wave",
        ("wave",),
    )


def test_a_poetry_1_8_script_table_is_a_console_script(tmp_path: Path) -> None:
    pyproject = """
        [tool.poetry]
        name = "greeter"
        version = "0.1.0"

        [tool.poetry.dependencies]
        python = "^3.11"
        colorama = "^0.4"

        [tool.poetry.scripts]
        greet = { callable = "greeter.cli:main" }
        setup-db = { reference = "bin/setup-db.sh", type = "file" }
    """
    files = {"pyproject.toml": pyproject, "greeter/__init__.py": ""}
    lock = lock_text(locked("colorama", "0.4.6", groups=None), lock_version="2.0", poetry="1.8.3")
    project = load_project(write_project(tmp_path, files, lock=lock))

    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == ("greet", "scripts: greet = greeter.cli:main")


def test_a_project_without_scripts_is_not_a_console_script(tmp_path: Path) -> None:
    project = project_with(
        tmp_path, {"greeter/__init__.py": ""}, dependencies=[], lock=(), name="greeter"
    )

    assert ConsoleScriptDetector().detect(project, Options()) is None


def test_an_app_option_that_names_no_script_is_not_silently_replaced(tmp_path: Path) -> None:
    project = script_project(tmp_path, 'greet = "greeter.cli:main"\n')

    with pytest.raises(DetectionError):
        detect(project, Options(app="greeter.cli:mian"))


def test_an_asgi_module_of_a_project_using_only_djangos_orm_is_not_a_django_site(
    tmp_path: Path,
) -> None:
    files = {
        "api/__init__.py": "",
        "api/asgi.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    }
    project = project_with(
        tmp_path, files, dependencies=["django", "fastapi", "gunicorn", "uvicorn-worker"],
        lock=(locked("django"), locked("fastapi"), *GUNICORN_UVICORN_LOCK),
    )  # fmt: skip

    assert DjangoDetector().detect(project, Options(app="api.asgi:app")) is None
    assert detect(project, Options(app="api.asgi:app")).detector == "asgi"


def test_console_scripts_that_are_one_program_under_several_names_run_the_shortest(
    tmp_path: Path,
) -> None:
    pyproject = pep621(
        "cz-tool",
        dependencies=["click"],
        extra='[project.scripts]\ngit-cz = "cz_tool.cli:main"\ncz = "cz_tool.cli:main"\n',
    )
    root = write_project(
        tmp_path,
        {"pyproject.toml": pyproject, "cz_tool/__init__.py": "", "cz_tool/cli.py": ""},
        lock=lock_text(locked("click")),
    )

    spec = detect(load_project(root), Options())

    assert (spec.detector, spec.production_entrypoint) == ("console-script", ("cz",))


def test_an_aiohttp_app_without_gunicorn_that_runs_itself_runs_as_python_m(
    tmp_path: Path,
) -> None:
    files = {
        "pyproject.toml": "[tool.poetry]\npackage-mode = false\n"
        '[tool.poetry.dependencies]\npython = "^3.11"\naiohttp = "*"\n',
        "app/__init__.py": (
            "from aiohttp import web\n\n\ndef app_factory():\n    return web.Application()\n"
        ),
        "app/__main__.py": "from aiohttp import web\nfrom app import app_factory\n"
        "web.run_app(app_factory())\n",
    }
    root = write_project(tmp_path, files, lock=lock_text(locked("aiohttp")))

    spec = detect(load_project(root), Options())

    assert (spec.detector, spec.kind, spec.production_command) == (
        "aiohttp",
        "worker",
        ("python", "-m", "app"),
    )


def test_a_django_project_one_directory_down_is_served_from_there(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.poetry]\npackage-mode = false\n"
        '[tool.poetry.dependencies]\npython = "^3.11"\ndjango = "*"\ngunicorn = "*"\n',
        "site/manage.py": (
            'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")\n'
        ),
        "site/web/__init__.py": "",
        "site/web/settings.py": 'INSTALLED_APPS = ["django.contrib.staticfiles"]\n'
        'STATIC_ROOT = "/opt/static"\nWSGI_APPLICATION = "web.wsgi.application"\n',
        "site/web/wsgi.py": "application = None\n",
    }
    root = write_project(
        tmp_path, files, lock=lock_text(locked("django"), locked("gunicorn", "23.0.0"))
    )

    spec = detect(load_project(root), Options())

    assert spec.app == "web.wsgi:application"
    assert spec.found_in == "site/manage.py -> web.settings.WSGI_APPLICATION"
    assert spec.production_command[:2] == ("gunicorn", "--chdir=site")
    assert spec.production_steps == ("cd site && python -m django collectstatic --noinput",)
    assert spec.production_env == (("DJANGO_SETTINGS_MODULE", "web.settings"),)


def test_a_django_site_two_directories_down_beside_a_celery_worker_is_the_web_app(
    tmp_path: Path,
) -> None:
    # The shape seen: the site in src/backend/, its settings package named from there
    # (configs.settings), and a Celery app beside it, which was served instead.
    files = {
        "pyproject.toml": "[tool.poetry]\npackage-mode = false\n"
        '[tool.poetry.dependencies]\npython = "^3.11"\ndjango = "*"\ngunicorn = "*"\n'
        'celery = "*"\n',
        "src/backend/manage.py": (
            'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "configs.settings")\n'
        ),
        "src/backend/configs/__init__.py": "",
        "src/backend/configs/settings.py": 'WSGI_APPLICATION = "configs.wsgi.application"\n',
        "src/backend/configs/wsgi.py": "application = None\n",
        "src/backend/configs/celery.py": "from celery import Celery\n\napp = Celery('configs')\n",
        "tests/manage.py": "",  # a test project's, never the site
    }
    lock = lock_text(locked("django"), locked("gunicorn", "23.0.0"), locked("celery", "5.4.0"))
    root = write_project(tmp_path, files, lock=lock)

    spec = detect(load_project(root), Options())

    assert (spec.detector, spec.app) == ("django", "configs.wsgi:application")
    assert spec.found_in == "src/backend/manage.py -> configs.settings.WSGI_APPLICATION"
    assert spec.production_command[:2] == ("gunicorn", "--chdir=src/backend")


def test_two_django_sites_at_the_same_depth_are_not_chosen_between(tmp_path: Path) -> None:
    manage = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")\n'
    files = {
        "pyproject.toml": "[tool.poetry]\npackage-mode = false\n"
        '[tool.poetry.dependencies]\npython = "^3.11"\ndjango = "*"\ngunicorn = "*"\n',
        "one/manage.py": manage,
        "two/manage.py": manage,
    }
    root = write_project(
        tmp_path, files, lock=lock_text(locked("django"), locked("gunicorn", "23.0.0"))
    )

    with pytest.raises(DetectionError):
        detect(load_project(root), Options())


def test_an_instance_of_a_subclass_of_the_frameworks_app_class_is_the_app(tmp_path: Path) -> None:
    files = {
        "api/base.py": "from fastapi import FastAPI\n\n\nclass Service(FastAPI):\n    pass\n",
        "api/custom.py": "from api.base import Service\n\n\nclass Api(Service):\n    pass\n",
        "api/main.py": "from api.custom import Api\n\napp = Api(title='x')\n",
    }

    spec = detect(fastapi_project(tmp_path, files, *GUNICORN_UVICORN_LOCK), Options())

    assert (spec.detector, spec.framework, spec.app) == ("asgi", "fastapi", "api.main:app")

"""Reading the project's Python with `ast`: modules, app candidates, settings values."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from quatrain.detectors import django_settings
from quatrain.reading import source
from quatrain.reading.project import Project, load_project
from quatrain.reading.source import AppCandidate
from unit.conftest import pep621, write_tree


def tree(text: str) -> ast.Module:
    return ast.parse(textwrap.dedent(text))


def function(signature: str) -> ast.FunctionDef:
    node = tree(f"def {signature}:\n    pass\n").body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def project(root: Path, files: dict[str, str], pyproject: str | None = None) -> Project:
    write_tree(root, {"pyproject.toml": pyproject or pep621(), **files})
    return load_project(root)


def modules(found: Project) -> list[tuple[str, str]]:
    return [(name, path.relative_to(found.root).as_posix()) for name, path in source.modules(found)]


def test_modules_are_every_python_file_of_the_package_but_tests_docs_and_migrations(
    tmp_path: Path,
) -> None:
    found = project(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/web/__init__.py": "",
            "src/shop/web/views.py": "",
            "src/shop/tests/test_views.py": "",
            "src/shop/docs/conf.py": "",
            "src/shop/migrations/0001_initial.py": "",
            "src/shop/test/helpers.py": "",
            "src/shop/templates/page.html": "",
            "scripts/outside.py": "",
        },
    )

    assert modules(found) == [
        ("shop", "src/shop/__init__.py"),
        ("shop.web", "src/shop/web/__init__.py"),
        ("shop.web.views", "src/shop/web/views.py"),
    ]


def test_a_single_module_package_is_that_module(tmp_path: Path) -> None:
    assert modules(project(tmp_path, {"shop.py": ""})) == [("shop", "shop.py")]


def test_a_non_package_projects_modules_are_all_its_modules_but_the_tooling_and_tests(
    tmp_path: Path,
) -> None:
    pyproject = "[tool.poetry]\npackage-mode = false\n"
    files = {
        name: ""
        for name in (
            "wsgi.py",
            "app.py",
            "manage.py",
            "setup.py",
            "conftest.py",
            "noxfile.py",
            "lib/helpers.py",
            "tests/test_app.py",
            "my-scripts/run.py",
        )
    }

    assert modules(project(tmp_path, files, pyproject)) == [
        ("app", "app.py"),
        ("wsgi", "wsgi.py"),
        ("lib.helpers", "lib/helpers.py"),
    ]


def test_app_candidates_are_module_level_objects_and_argument_free_factories(
    tmp_path: Path,
) -> None:
    found = project(
        tmp_path,
        {
            "shop/__init__.py": """
                import flask


                def create_app(config=None):
                    app = flask.Flask(__name__)
                    return app
            """,
            "shop/api.py": """
                from fastapi import FastAPI

                api: FastAPI = FastAPI()
                other = api
                declared: FastAPI
            """,
            "shop/factory.py": """
                def make_app():
                    return build()


                def create_app(settings):
                    return build(settings)
            """,
        },
    )

    assert list(source.app_candidates(found)) == [
        AppCandidate(
            module="shop", attribute="create_app", factory=True, framework="flask",
            path="shop/__init__.py",
        ),
        AppCandidate(
            module="shop.api", attribute="api", factory=False, framework="fastapi",
            path="shop/api.py",
        ),
        AppCandidate(
            module="shop.factory", attribute="make_app", factory=True, framework=None,
            path="shop/factory.py",
        ),
    ]  # fmt: skip


def test_a_candidate_names_what_the_server_loads_and_where_it_was_seen() -> None:
    factory = AppCandidate(
        module="shop.web", attribute="create_app", factory=True, framework=None, path="x.py"
    )
    obj = AppCandidate(
        module="shop.web", attribute="app", factory=False, framework="flask", path="x.py"
    )

    assert (factory.app, factory.found_in) == ("shop.web:create_app()", "x.py: create_app()")
    assert (obj.app, obj.found_in) == ("shop.web:app", "x.py: app")


def test_one_assignment_to_two_names_is_two_candidates(tmp_path: Path) -> None:
    found = project(
        tmp_path, {"shop.py": "from flask import Flask\n\napp = application = Flask('x')\n"}
    )

    assert [c.app for c in source.app_candidates(found)] == ["shop:app", "shop:application"]


def test_files_that_do_not_parse_give_no_candidates_and_no_error(tmp_path: Path) -> None:
    found = project(tmp_path, {"shop/__init__.py": "", "shop/broken.py": "app = Flask(\n"})
    (tmp_path / "shop" / "latin1.py").write_bytes(b"app = Flask('caf\xe9')\n")

    assert list(source.app_candidates(found)) == []
    assert source.parse(tmp_path / "shop" / "broken.py") is None
    assert source.parse(tmp_path / "missing.py") is None


@pytest.mark.parametrize(
    ("expression", "framework"),
    [
        ("Flask(__name__)", "flask"),
        ("flask.Flask(__name__)", "flask"),
        ("FastAPI()", "fastapi"),
        ("starlette.applications.Starlette()", "starlette"),
        ("Litestar([])", "litestar"),
        ("Quart(__name__)", "quart"),
        ("Blueprint('x', __name__)", None),
        ("Flask", None),
        ("make()()", None),
        ("'Flask'", None),
    ],
)
def test_constructed_framework_reads_the_constructors_name(
    expression: str, framework: str | None
) -> None:
    node = tree(expression).body[0]
    assert isinstance(node, ast.Expr)

    assert source.constructed_framework(node.value) == framework


def test_constructed_framework_of_nothing_is_none() -> None:
    assert source.constructed_framework(None) is None


@pytest.mark.parametrize(
    ("signature", "callable_bare"),
    [
        ("create_app()", True),
        ("create_app(config=None)", True),
        ("create_app(config=None, /, debug=False, *, testing=False, **extra)", True),
        ("create_app(*args, **kwargs)", True),
        ("create_app(config)", False),
        ("create_app(config, /)", False),
        ("create_app(*, config)", False),
        ("create_app(a, b=1)", False),
    ],
)
def test_a_factory_must_be_callable_without_arguments(signature: str, callable_bare: bool) -> None:
    assert source.callable_without_arguments(function(signature)) is callable_bare


SETTINGS = """
    import os
    from pathlib import Path

    BASE_DIR = Path(__file__).resolve().parent
    DEBUG = False
    ROOT_URLCONF = "mysite.urls"
    WSGI_APPLICATION = "mysite.wsgi.application"
    SECRET_KEY = os.environ.get("SECRET", "dev")
    TITLE: str = "annotated"
    INSTALLED_APPS = [
        "django.contrib.staticfiles",
        "mysite",
    ]
    MIDDLEWARE = ("a.Middleware", BASE_DIR, 3)
    STATIC_ROOT = BASE_DIR / "static"
    if DEBUG:
        INNER = "not module level"
"""


def test_string_assignments_are_the_module_level_string_constants() -> None:
    assert django_settings.string_assignments(tree(SETTINGS)) == {
        "ROOT_URLCONF": "mysite.urls",
        "WSGI_APPLICATION": "mysite.wsgi.application",
    }


def test_string_lists_keep_the_strings_of_module_level_lists_and_tuples() -> None:
    assert django_settings.string_lists(tree(SETTINGS)) == {
        "INSTALLED_APPS": ["django.contrib.staticfiles", "mysite"],
        "MIDDLEWARE": ["a.Middleware"],
    }


def test_assigned_names_are_every_module_level_name_whatever_its_value() -> None:
    assert django_settings.assigned_names(tree(SETTINGS)) == {
        "BASE_DIR",
        "DEBUG",
        "ROOT_URLCONF",
        "WSGI_APPLICATION",
        "SECRET_KEY",
        "TITLE",
        "INSTALLED_APPS",
        "MIDDLEWARE",
        "STATIC_ROOT",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
         "mysite.settings"),
        ('def main():\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "a.b")\n', "a.b"),
        ('os.environ.setdefault("OTHER", "x")\n', None),
        ('os.environ.setdefault("DJANGO_SETTINGS_MODULE", NAME)\n', None),
        ('os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"\n', "mysite.settings"),
        ('from os import environ\nenviron["DJANGO_SETTINGS_MODULE"] = "a.b"\n', "a.b"),
        ('os.environ.setdefault("DJANGO_SETTINGS_MODULE", default="c.d")\n', "c.d"),
        ('os.environ["OTHER"] = "x"\n', None),
        ('os.environ.setdefault("DJANGO_SETTINGS_MODULE")\n', None),
    ],
    ids=["module-level", "in-main", "other-variable", "not-a-constant", "item-assignment",
         "environ-imported", "default-keyword", "other-item", "no-default"],
)  # fmt: skip
def test_environ_default_is_the_value_manage_py_sets_by_default(
    text: str, value: str | None
) -> None:
    assert django_settings.environ_default(tree(text), "DJANGO_SETTINGS_MODULE") == value


def test_module_file_finds_a_dotted_module_of_the_project(tmp_path: Path) -> None:
    found = project(
        tmp_path / "mysite",
        {"mysite/__init__.py": "", "mysite/settings.py": "", "mysite/conf/__init__.py": ""},
        pep621("mysite"),
    )

    assert source.module_file(found, "mysite.settings") == tmp_path / "mysite/mysite/settings.py"
    assert source.module_file(found, "mysite.conf") == tmp_path / "mysite/mysite/conf/__init__.py"
    assert source.module_file(found, "mysite.missing") is None
    assert source.module_file(found, "elsewhere.settings") is None


def test_an_app_made_by_a_factory_of_any_name_in_a_directory_without_init_is_found(
    tmp_path: Path,
) -> None:
    found = project(
        tmp_path,
        {
            "app/main.py": """
                from fastapi import FastAPI


                def get_application() -> FastAPI:
                    application = FastAPI(title="api")
                    return application


                app = get_application()
            """,
            "app/core/config.py": "settings = object()\n",
        },
        "[tool.poetry]\npackage-mode = false\n",
    )

    assert source.app_candidates(found) == [
        AppCandidate(
            module="app.main", attribute="app", factory=False, framework="fastapi",
            path="app/main.py", made_by="get_application",
        ),
    ]  # fmt: skip
    assert source.app_candidates(found)[0].found_in == "app/main.py: app = get_application()"


def test_a_function_of_any_name_that_returns_the_frameworks_app_is_a_factory(
    tmp_path: Path,
) -> None:
    found = project(
        tmp_path,
        {
            "web.py": """
                import flask


                def build_site():
                    return flask.Flask(__name__)


                def helper():
                    return 3
            """,
        },
        "[tool.poetry]\npackage-mode = false\n",
    )

    assert [c.app for c in source.app_candidates(found)] == ["web:build_site()"]


def test_module_file_finds_a_module_of_the_root_outside_the_packages(tmp_path: Path) -> None:
    found = project(
        tmp_path / "site",
        {"app/__init__.py": "", "config/__init__.py": "", "config/settings/__init__.py": ""},
        pep621("app"),
    )

    assert source.module_file(found, "config.settings") == (
        tmp_path / "site/config/settings/__init__.py"
    )
    assert source.module_file(found, "config/../x") is None


@pytest.mark.parametrize(
    ("text", "dotted"),
    [
        ("config.asgi.application", True),
        ("a.b", True),
        ("application", False),
        ("config.asgi:application", False),
        ("x.y; rm -rf /", False),
        ("x..y", False),
        ("x.y ", False),
        ("caf\u00e9.app", False),
        ("", False),
    ],
)
def test_only_a_dotted_path_of_identifiers_is_a_dotted_path(text: str, dotted: bool) -> None:
    assert django_settings.is_dotted_path(text) is dotted


def test_settings_merge_what_they_star_import_beneath_their_own(tmp_path: Path) -> None:
    found = project(
        tmp_path / "site",
        {
            "config/__init__.py": "",
            "config/settings/__init__.py": "",
            "config/settings/base.py": (
                'INSTALLED_APPS = ["django.contrib.staticfiles"]\n'
                'WSGI_APPLICATION = "config.wsgi.application"\nDEBUG = True\n'
            ),
            "config/settings/production.py": (
                "from .base import *  # noqa\nfrom config.settings.extra import *\n"
                'DEBUG = False\nSTATIC_ROOT = "/srv/static"\n'
            ),
            "config/settings/extra.py": 'WSGI_APPLICATION = "config.wsgi.other"\n',
        },
        pep621("site", extra="\n[tool.poetry]\npackage-mode = false\n"),
    )

    settings = django_settings.read_settings(found, "config.settings.production")

    assert settings is not None
    assert settings.strings == {
        "WSGI_APPLICATION": "config.wsgi.other",
        "STATIC_ROOT": "/srv/static",
    }
    assert settings.lists == {"INSTALLED_APPS": ["django.contrib.staticfiles"]}
    assert {"DEBUG", "STATIC_ROOT", "INSTALLED_APPS"} <= settings.names


def test_settings_that_star_import_each_other_are_read_once(tmp_path: Path) -> None:
    found = project(
        tmp_path / "site",
        {
            "config/__init__.py": "",
            "config/a.py": 'from config.b import *\nA = "a"\n',
            "config/b.py": 'from config.a import *\nB = "b"\n',
        },
        pep621("site", extra="\n[tool.poetry]\npackage-mode = false\n"),
    )

    settings = django_settings.read_settings(found, "config.a")

    assert settings is not None
    assert settings.strings == {"A": "a", "B": "b"}

"""Dash, Streamlit, aiohttp, Celery, the command option, and the libraries quatrain refuses to
guess for (bots, RQ, Sanic), on projects built in tmp_path."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from quatrain.detectors.detect import ServeSpec, detect
from quatrain.errors import DetectionError, ProjectError
from quatrain.reading.project import Project, load_project
from quatrain.settings.options import Options
from unit.conftest import lock_text, locked, pep621, write_project

GUNICORN = ("gunicorn", "--graceful-timeout=8")
TMP_DIR = "--worker-tmp-dir=/dev/shm"


def project_with(
    root: Path,
    files: Mapping[str, str],
    *,
    dependencies: Sequence[str],
    lock: Sequence[str] = (),
    name: str = "board",
) -> Project:
    tree = {"pyproject.toml": pep621(name, dependencies=dependencies), **files}
    locks = lock or tuple(locked(d) for d in dependencies)
    return load_project(write_project(root, tree, lock=lock_text(*locks)))


# --- Dash -----------------------------------------------------------------------------------

DASH_APP = """
    from dash import Dash, html

    app = Dash(__name__)
    server = app.server
    app.layout = html.Div("hello")
"""


def test_a_dash_app_is_served_by_gunicorn_from_its_flask_server(tmp_path: Path) -> None:
    project = project_with(
        tmp_path, {"board/__init__.py": "", "board/app.py": DASH_APP},
        dependencies=["dash", "gunicorn"],
    )  # fmt: skip

    spec = detect(project, Options())

    assert spec == ServeSpec(
        detector="dash",
        kind="wsgi",
        framework="dash",
        app="board.app:server",
        found_in="board/app.py: server = app.server",
        production_command=(*GUNICORN, "--threads=4", TMP_DIR, "board.app:server"),
        development_command=("sh", "-c", 'exec flask run --host 0.0.0.0 --port "$PORT"'),
        development_env=(("FLASK_APP", "board.app:server"), ("FLASK_DEBUG", "1")),
        production_server="gunicorn",
        reloads=True,
    )


def test_a_dash_app_wins_over_flask_though_it_depends_on_flask(tmp_path: Path) -> None:
    project = project_with(
        tmp_path, {"board/__init__.py": "", "board/app.py": DASH_APP},
        dependencies=["dash", "flask", "gunicorn"],
    )  # fmt: skip

    assert detect(project, Options()).detector == "dash"


def test_a_dash_app_without_a_name_for_its_server_is_found_by_pydoc_locate(
    tmp_path: Path,
) -> None:
    """gunicorn loads a name or a call, never `app.server`: the standard library's
    pydoc.locate imports board.app and returns the attribute."""
    app = "import dash\nfrom dash import html\n\napp = dash.Dash(__name__)\napp.layout = 1\n"
    project = project_with(
        tmp_path, {"board/__init__.py": "", "board/app.py": app},
        dependencies=["dash", "gunicorn"], lock=[locked("dash"), locked("gunicorn", "20.1.0")],
    )  # fmt: skip

    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == (
        'pydoc:locate("board.app.app.server")',
        "board/app.py: app.server, which no module-level name binds: gunicorn calls pydoc.locate",
    )
    assert spec.production_command[-1] == 'pydoc:locate("board.app.app.server")'


def test_pydoc_locate_finds_the_server_as_gunicorn_will_call_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The call handed to gunicorn, done as gunicorn's import_app does it (a name looked up in
    the module before the colon, called with literal arguments), on a stand-in module."""
    package = tmp_path / "located_board"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text("class Dash:\n    server = 'the server'\n\napp = Dash()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = 'pydoc:locate("located_board.app.app.server")'  # as the test above renders it
    module, _, call = app.partition(":")
    expression = ast.parse(call, mode="eval").body
    assert isinstance(expression, ast.Call)
    assert isinstance(expression.func, ast.Name)

    function = getattr(importlib.import_module(module), expression.func.id)
    found = function(*[ast.literal_eval(argument) for argument in expression.args])

    assert found == "the server"


@pytest.mark.parametrize(
    ("files", "gunicorn"),
    [
        # gunicorn 20.0 loads names only.
        ({"board/__init__.py": "", "board/app.py": "import dash\n\napp = dash.Dash(__name__)\n"},
         "20.0.4"),
        # board.app.app would be the submodule board/app/app.py, not the attribute.
        ({"board/__init__.py": "", "board/app/__init__.py": "import dash\n\napp = dash.Dash()\n",
          "board/app/app.py": ""},
         "23.0.0"),
    ],
)  # fmt: skip
def test_a_dash_app_without_a_name_for_its_server_that_pydoc_cannot_find_says_to_add_one(
    tmp_path: Path, files: dict[str, str], gunicorn: str
) -> None:
    lock = [locked("dash"), locked("gunicorn", gunicorn)]
    project = project_with(tmp_path, files, dependencies=["dash", "gunicorn"], lock=lock)

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert "but no module-level name for its Flask server, which is what gunicorn serves " in (
        str(raised.value)
    )
    assert "Add `server = app.server` to board/app" in str(raised.value)


# Dash's multi-page layout: the app is made in app.py and finished in index.py.
DASH_MADE = """
    import dash

    app = dash.Dash(__name__, suppress_callback_exceptions=True)
    server = app.server
"""
DASH_FINISHED = """
    from dash import html

    from {imported} import app{alias}
    {server}
    {name}.layout = html.Div("hello")

    if __name__ == "__main__":
        {name}.run_server(debug=True)
"""


def dash_site(root: Path, index: str, made: str = DASH_MADE, package: bool = True) -> Project:
    prefix = "board/" if package else ""
    files = {f"{prefix}app.py": made, f"{prefix}index.py": index}
    if package:
        files["board/__init__.py"] = ""
    return project_with(root, files, dependencies=["dash", "gunicorn"])


@pytest.mark.parametrize(
    ("imported", "alias", "name"),
    [("board.app", "", "app"), (".app", "", "app"), ("board.app", " as site", "site")],
)
def test_a_dash_app_finished_in_another_module_is_served_from_that_module(
    tmp_path: Path, imported: str, alias: str, name: str
) -> None:
    index = DASH_FINISHED.format(
        imported=imported, alias=alias, name=name, server=f"server = {name}.server"
    )
    spec = detect(dash_site(tmp_path, index), Options())

    assert spec.app == "board.index:server"
    assert spec.found_in == f"board/index.py: server = {name}.server"
    assert spec.production_command[-1] == "board.index:server"


def test_a_server_imported_from_where_the_dash_app_is_made_is_served_from_the_finisher(
    tmp_path: Path,
) -> None:
    index = DASH_FINISHED.format(
        imported="board.app", alias="", name="app", server="from board.app import server"
    )
    spec = detect(dash_site(tmp_path, index), Options())

    assert (spec.app, spec.found_in) == (
        "board.index:server", "board/index.py: from board.app import server"
    )  # fmt: skip


def test_a_dash_app_finished_elsewhere_is_never_served_without_its_layout(
    tmp_path: Path,
) -> None:
    """app.py has a server name, but serving it would skip index.py's layout and callbacks:
    every request would fail. The refusal names the module to change."""
    made = (
        "import dash\nimport flask\n\nserver = flask.Flask(__name__)\n"
        "app = dash.Dash(__name__, server=server)\n"
    )
    index = DASH_FINISHED.format(imported="app", alias="", name="app", server="")
    project = dash_site(tmp_path, index, made=made, package=False)

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        "board has a Dash app, `app:app` (app.py: app), given its layout in index.py, which "
        "gunicorn must therefore import, but no module-level name for its Flask server, which "
        "is what gunicorn serves (gunicorn loads a name, or from 20.1 on a call, not "
        "`app.server`). Add "
        '`server = app.server` to index.py, or set app = "module:server" in [tool.quatrain] '
        "(or --app)."
    )


def test_the_server_a_dash_app_is_made_with_is_its_name_for_gunicorn(tmp_path: Path) -> None:
    made = (
        "import dash\nimport flask\nfrom dash import html\n\nserver = flask.Flask(__name__)\n"
        "app = dash.Dash(__name__, server=server)\napp.layout = html.Div('hi')\n"
    )
    project = project_with(
        tmp_path, {"board/__init__.py": "", "board/app.py": made}, dependencies=["dash"]
    )

    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == (
        "board.app:server",
        "board/app.py: app = Dash(server=server)",
    )


def test_a_dash_layout_set_in_two_modules_is_a_choice_for_the_user(tmp_path: Path) -> None:
    index = DASH_FINISHED.format(
        imported="board.app", alias="", name="app", server="server = app.server"
    )
    project = project_with(
        tmp_path,
        {"board/__init__.py": "", "board/app.py": DASH_MADE, "board/index.py": index,
         "board/other.py": index},
        dependencies=["dash", "gunicorn"],
    )  # fmt: skip

    with pytest.raises(
        DetectionError,
        match=r"given a layout in more than one module \(board/index.py, board/other.py\)",
    ):
        detect(project, Options())


def test_a_dash_app_whose_lock_has_no_gunicorn_gets_the_pinned_one_never_dashs_dev_server(
    tmp_path: Path,
) -> None:
    project = project_with(
        tmp_path, {"board/__init__.py": "", "board/app.py": DASH_APP}, dependencies=["dash"]
    )

    spec = detect(project, Options())

    assert spec.production_command[0] == "gunicorn"
    assert [p.name for p in spec.brought_packages] == ["gunicorn"]


def test_a_dash_dependency_without_an_app_is_refused_rather_than_run_as_a_script(
    tmp_path: Path,
) -> None:
    files = {"board/__init__.py": "", "board/cli.py": "def main():\n    pass\n"}
    tree = {
        "pyproject.toml": pep621(
            "board", dependencies=["dash"], extra='\n[project.scripts]\nb = "board.cli:main"\n'
        ),
        **files,
    }
    project = load_project(write_project(tmp_path, tree, lock=lock_text(locked("dash"))))

    with pytest.raises(DetectionError, match="board depends on dash, but quatrain found no app"):
        detect(project, Options())


# --- Streamlit ------------------------------------------------------------------------------

STREAMLIT_FLAGS = '--server.port "$PORT" --server.address 0.0.0.0 --server.headless true'


def test_a_streamlit_script_is_run_by_streamlit_on_port(tmp_path: Path) -> None:
    files = {
        "streamlit_app.py": "import streamlit as st\n\nst.title('hi')\n",
        "pages/1_Other.py": "import streamlit as st\n",
        "helpers.py": "import pandas\n",
    }
    tree = {
        "pyproject.toml": pep621(
            "board",
            dependencies=["streamlit"],
            extra="\n[tool.poetry]\npackage-mode = false\n",
        ),
        **files,
    }
    project = load_project(write_project(tmp_path, tree, lock=lock_text(locked("streamlit"))))

    spec = detect(project, Options())

    assert spec == ServeSpec(
        detector="streamlit",
        kind="http",
        framework="streamlit",
        app="streamlit_app.py",
        found_in="streamlit_app.py: import streamlit",
        production_command=(
            "sh", "-c", f'exec streamlit run "$1" {STREAMLIT_FLAGS}', "sh", "streamlit_app.py",
        ),
        development_command=(
            "sh", "-c", f'exec streamlit run "$1" {STREAMLIT_FLAGS} --server.runOnSave true',
            "sh", "streamlit_app.py",
        ),
        production_server="streamlit",
        reloads=True,
    )  # fmt: skip
    assert spec.http is True


def test_the_streamlit_script_path_is_an_argument_never_shell_text(tmp_path: Path) -> None:
    files = {"board/__init__.py": "", "board/x; rm -rf $HOME.py": ""}
    project = project_with(tmp_path, files, dependencies=["streamlit"])
    hostile = "board/x; rm -rf $HOME.py"

    spec = detect(project, Options(app=hostile))

    assert spec.production_command[-1] == hostile
    assert hostile not in spec.production_command[2]


def test_of_several_streamlit_scripts_the_one_no_other_imports_is_the_app(tmp_path: Path) -> None:
    files = {
        "board/__init__.py": "",
        "board/app.py": "import streamlit as st\nfrom board.charts import draw\nimport helpers\n",
        "board/charts.py": "import streamlit as st\n\n\ndef draw():\n    st.title('x')\n",
        "helpers.py": "import streamlit as st\n",
    }
    project = project_with(tmp_path, files, dependencies=["streamlit"])

    spec = detect(project, Options())

    assert (spec.detector, spec.app) == ("streamlit", "board/app.py")


def test_several_streamlit_scripts_are_a_detection_error_that_lists_them(tmp_path: Path) -> None:
    files = {
        "board/__init__.py": "",
        "board/a.py": "import streamlit\n",
        "board/b.py": "from streamlit import title\n",
    }
    project = project_with(tmp_path, files, dependencies=["streamlit"])

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        "board has several scripts that import streamlit (board/a.py, board/b.py). Say which "
        'one is the app: app = "path/to/app.py" in [tool.quatrain] (or --app).'
    )


def test_a_streamlit_app_option_that_is_no_script_is_a_detection_error(tmp_path: Path) -> None:
    project = project_with(
        tmp_path, {"board/__init__.py": "", "board/a.py": "import streamlit\n"},
        dependencies=["streamlit"],
    )  # fmt: skip

    expected = re.escape("app = 'board.a' is no Python script of board")
    with pytest.raises(DetectionError, match=expected):
        detect(project, Options(app="board.a"))


# --- aiohttp --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_text", "target"),
    [
        ("from aiohttp import web\n\napp = web.Application()\n", "board.server:app"),
        (
            "from aiohttp import web\n\ndef make():\n    app = web.Application()\n    return app\n",
            "board.server:make()",
        ),
        (
            "import aiohttp.web\n\nasync def init():\n    return aiohttp.web.Application()\n",
            "board.server:init",
        ),
    ],
    ids=["object", "factory", "coroutine"],
)
def test_an_aiohttp_app_is_served_by_gunicorn_with_aiohttps_worker(
    tmp_path: Path, source_text: str, target: str
) -> None:
    files = {"board/__init__.py": "", "board/server.py": source_text}
    project = project_with(tmp_path, files, dependencies=["aiohttp", "gunicorn"])

    spec = detect(project, Options())

    worker = "--worker-class=aiohttp.GunicornWebWorker"
    assert (spec.detector, spec.kind, spec.app, spec.production_server) == (
        "aiohttp", "http", target, "gunicorn",
    )  # fmt: skip
    assert spec.production_command == (*GUNICORN, worker, TMP_DIR, target)
    assert spec.development_command == (*GUNICORN, worker, TMP_DIR, "--reload", target)


def test_an_aiohttp_factory_taking_argv_runs_under_aiohttps_cli_without_gunicorn(
    tmp_path: Path,
) -> None:
    text = "from aiohttp import web\n\ndef init(argv):\n    return web.Application()\n"
    files = {"board/__init__.py": "", "board/server.py": text}
    project = project_with(tmp_path, files, dependencies=["aiohttp"])

    spec = detect(project, Options())

    assert spec.production_command == (
        "sh", "-c", 'exec python -m aiohttp.web -H 0.0.0.0 -P "$PORT" "$1"', "sh",
        "board.server:init",
    )  # fmt: skip
    assert spec.production_server == "aiohttp"


def test_an_aiohttp_object_without_gunicorn_gets_gunicorn_brought_with_aiohttps_worker(
    tmp_path: Path,
) -> None:
    text = "from aiohttp import web\n\napp = web.Application()\n"
    files = {"board/__init__.py": "", "board/server.py": text}
    project = project_with(tmp_path, files, dependencies=["aiohttp"])

    spec = detect(project, Options())

    assert spec.production_command[:3] == (
        "gunicorn", "--graceful-timeout=8", "--worker-class=aiohttp.GunicornWebWorker",
    )  # fmt: skip
    assert spec.production_command[-1] == "board.server:app"
    assert [p.name for p in spec.brought_packages] == ["gunicorn"]
    assert spec.development_command[-2:] == ("--reload", "board.server:app")
    assert spec.loop == "reload"


def test_an_application_outside_a_module_importing_aiohttp_is_not_an_aiohttp_app(
    tmp_path: Path,
) -> None:
    files = {"board/__init__.py": "", "board/ui.py": "import tornado.web\n\napp = Application()\n"}
    project = project_with(tmp_path, files, dependencies=["aiohttp", "gunicorn"])

    # Nothing imports aiohttp.web: aiohttp is a client here, and no web app is looked for.
    with pytest.raises(DetectionError, match="cannot tell how board is served"):
        detect(project, Options())


# --- Celery ---------------------------------------------------------------------------------


def test_a_celery_app_is_a_worker_that_must_stay_up(tmp_path: Path) -> None:
    files = {
        "board/__init__.py": "",
        "board/tasks.py": "from celery import Celery\n\napp = Celery('b')\n",
    }
    project = project_with(tmp_path, files, dependencies=["celery"])

    spec = detect(project, Options())

    command = ("celery", "-A", "board.tasks", "worker", "--loglevel=INFO")
    assert spec == ServeSpec(
        detector="celery",
        kind="worker",
        framework="celery",
        app="board.tasks",
        found_in="board/tasks.py: app",
        production_command=command,
        development_command=command,
        production_server="celery",
    )
    assert spec.http is False


def test_a_celery_app_of_another_name_is_given_to_celery_by_name(tmp_path: Path) -> None:
    files = {"board/__init__.py": "", "board/jobs.py": "import celery\n\nqueue = celery.Celery()\n"}
    project = project_with(tmp_path, files, dependencies=["celery"])

    assert detect(project, Options()).production_command[2] == "board.jobs:queue"


def test_a_flask_app_with_celery_is_served_as_the_web_app(tmp_path: Path) -> None:
    files = {
        "board/__init__.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        "board/tasks.py": "from celery import Celery\n\ncelery = Celery()\n",
    }
    project = project_with(tmp_path, files, dependencies=["flask", "celery", "gunicorn"])

    assert detect(project, Options()).detector == "flask"


# --- the command option, and refusals -------------------------------------------------------


@pytest.mark.parametrize(
    ("dependency", "module_text", "message"),
    [
        (
            "python-telegram-bot",
            "from telegram.ext import Application\n",
            "board depends on python-telegram-bot, a Telegram bot library, which quatrain does "
            "not run by itself: a bot needs its token and Telegram's servers to start, and "
            'serves no port. Say what the image runs: command = ["python", "-m", "board.bot"]',
        ),
        (
            "aiogram",
            "from aiogram import Bot\n",
            "board depends on aiogram, a Telegram bot library, which quatrain does not run by "
            "itself: a bot needs its token and Telegram's servers to start, and serves no "
            'port. Say what the image runs: command = ["python", "-m", "board.bot"]',
        ),
        (
            "discord.py",
            "import discord\n",
            "board depends on discord-py, a Discord bot library, which quatrain does not run by "
            "itself: a bot needs its token and Discord's gateway to start, and serves no port. "
            'Say what the image runs: command = ["python", "-m", "board.bot"]',
        ),
        (
            "rq",
            "from rq import Queue\n",
            "board depends on rq, a Redis job queue, which quatrain does not run by itself: an "
            "RQ worker connects to Redis as it starts and exits when it cannot. Say what the "
            'image runs: command = ["rq", "worker", "--url", "redis://REDIS_HOST:6379/0"]',
        ),
    ],
    ids=["python-telegram-bot", "aiogram", "discord.py", "rq"],
)
def test_a_library_quatrain_cannot_prove_is_refused_with_the_command_to_set(
    tmp_path: Path, dependency: str, module_text: str, message: str
) -> None:
    files = {"board/__init__.py": "", "board/bot.py": module_text}
    project = project_with(tmp_path, files, dependencies=[dependency])

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        f"{message} in [tool.quatrain]; quatrain then runs it and verify checks that it stays "
        "up (pass its settings with --run-env or --env-file)."
    )


# --- Sanic ----------------------------------------------------------------------------------


def test_a_sanic_app_is_served_by_sanics_own_server(tmp_path: Path) -> None:
    files = {
        "board/__init__.py": "",
        "board/web.py": "from sanic import Sanic\n\napp = Sanic('board')\n",
    }
    project = project_with(
        tmp_path, files, dependencies=["sanic"], lock=[locked("sanic", "23.6.0")]
    )

    spec = detect(project, Options())

    assert (spec.detector, spec.kind, spec.app, spec.found_in, spec.production_server) == (
        "sanic", "http", "board.web:app", "board/web.py: app", "sanic",
    )  # fmt: skip
    # Sanic takes the port only as a flag: a shell expands it, and the app is the shell's "$1",
    # never parsed as shell. One process: Sanic's worker manager can hang when stopped early.
    assert spec.production_command == (
        "sh", "-c",
        'exec sanic "$1" --host 0.0.0.0 --port "$PORT" --single-process --no-access-logs '
        "--no-motd",
        "sh", "board.web:app",
    )  # fmt: skip
    assert spec.development_command == (
        "sh", "-c", 'exec sanic "$1" --host 0.0.0.0 --port "$PORT" --dev', "sh", "board.web:app",
    )  # fmt: skip


def test_a_sanic_before_its_worker_manager_runs_one_process_without_asking(
    tmp_path: Path,
) -> None:
    """--single-process came with the worker manager in 22.9; before, one worker was one
    process."""
    files = {"board/__init__.py": "from sanic import Sanic\n\napp = Sanic('board')\n"}
    project = project_with(
        tmp_path, files, dependencies=["sanic"], lock=[locked("sanic", "22.6.2")]
    )

    command = detect(project, Options()).production_command[2]

    assert command == 'exec sanic "$1" --host 0.0.0.0 --port "$PORT" --no-access-logs --no-motd'


def test_a_sanic_app_made_by_a_factory_with_arguments_is_found_by_its_annotation(
    tmp_path: Path,
) -> None:
    """super16/my-locations' shape: `api: Sanic = create_app(title, config)`, the factory in
    another module."""
    files = {
        "board/__init__.py": "from board.server import api\n",
        "board/utils.py": (
            "from sanic import Sanic\n\n\ndef create_app(title, config) -> Sanic:\n"
            "    app = Sanic(title)\n    return app\n"
        ),
        "board/server.py": (
            "from sanic import Sanic\n\nfrom board.utils import create_app\n\n"
            'api: Sanic = create_app("board", object)\n'
        ),
    }
    project = project_with(
        tmp_path, files, dependencies=["sanic"], lock=[locked("sanic", "23.6.0")]
    )

    spec = detect(project, Options())

    assert (spec.app, spec.found_in) == (
        "board.server:api",
        "board/server.py: api = create_app(...)",
    )


def test_a_sanic_factory_runs_with_the_factory_flag(tmp_path: Path) -> None:
    source = "from sanic import Sanic\n\n\ndef create_app():\n    return Sanic('board')\n"
    files = {"board/__init__.py": source}
    project = project_with(
        tmp_path, files, dependencies=["sanic"], lock=[locked("sanic", "24.12.0")]
    )

    spec = detect(project, Options(access_log=True))

    assert spec.app == "board:create_app()"
    assert spec.production_command[2].startswith('exec sanic "$1" --factory --host 0.0.0.0 ')
    assert "--access-logs --no-motd" in spec.production_command[2]
    assert spec.production_command[4] == "board:create_app"


def test_a_sanic_app_that_also_uses_aiohttp_is_served_by_sanic(tmp_path: Path) -> None:
    """aiohttp as a client library has no web.Application: the Sanic app is the one served
    (ilswlol's shape)."""
    files = {
        "board/__init__.py": "",
        "board/bot.py": "import aiohttp\nfrom sanic import Sanic\n\napp = Sanic('board')\n",
    }
    lock = [locked("sanic", "23.6.0"), locked("aiohttp", "3.9.1")]
    project = project_with(tmp_path, files, dependencies=["sanic", "aiohttp"], lock=lock)

    assert detect(project, Options()).detector == "sanic"


def test_a_sanic_older_than_its_command_line_is_refused_with_the_command_to_set(
    tmp_path: Path,
) -> None:
    """ilswlol locks Sanic 18.12, whose only command line is `python -m sanic module.app`."""
    files = {"board/__init__.py": "", "board/bot.py": "from sanic import Sanic\n\napp = Sanic()\n"}
    project = project_with(
        tmp_path, files, dependencies=["sanic"], lock=[locked("sanic", "18.12.0")]
    )

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert str(raised.value) == (
        "board locks Sanic 18.12.0, older than the command line quatrain runs (`sanic "
        "module:app --host ... --port ...`, from Sanic 21.12). Update Sanic, or say what the "
        'image runs: command = ["python", "-m", "sanic", "board.bot.app", "--host=0.0.0.0", '
        '"--port=8888"] in [tool.quatrain].'
    )


def test_a_sanic_app_without_sanic_in_the_main_group_is_refused(tmp_path: Path) -> None:
    files = {"board/__init__.py": "from sanic import Sanic\n\napp = Sanic('board')\n"}
    lock = [locked("sanic", "23.6.0", groups=("dev",))]
    project = project_with(tmp_path, files, dependencies=["sanic"], lock=lock)

    with pytest.raises(ProjectError, match="sanic"):
        detect(project, Options())


BOT_SCRIPT = """
    import asyncio

    from aiogram import Bot, Dispatcher


    async def main():
        await Dispatcher().start_polling(Bot("token"))


    if __name__ == "__main__":
        asyncio.run(main())
"""


def test_the_one_script_of_a_bot_that_runs_itself_is_run_as_a_module(tmp_path: Path) -> None:
    """OnishkovValera/CosmokeyBot's shape: `python bot/main.py` in its Dockerfile, no
    __main__.py, and other modules that import aiogram too."""
    files = {
        "board/__init__.py": "",
        "board/main.py": BOT_SCRIPT,
        "board/handlers.py": "from aiogram import Router\n\nrouter = Router()\n",
    }
    project = project_with(tmp_path, files, dependencies=["aiogram"])

    spec = detect(project, Options())

    assert (spec.detector, spec.kind, spec.framework, spec.production_command, spec.found_in) == (
        "module", "worker", "aiogram", ("python", "-m", "board.main"),
        'board/main.py: if __name__ == "__main__"',
    )  # fmt: skip


@pytest.mark.parametrize(
    ("last_line", "how"),
    [
        ("client.run(settings.BOT_TOKEN)", "client.run(...)"),
        ("bot.infinity_polling()", "bot.infinity_polling(...)"),
        ("asyncio.run(main())", "asyncio.run(...)"),
    ],
)
def test_a_bots_script_that_starts_it_at_its_top_level_is_run_as_a_module(
    tmp_path: Path, last_line: str, how: str
) -> None:
    """jonathandieu/dieuscord-bot's shape: `poetry run python basic.py`, whose last line is
    `client.run(settings.BOT_TOKEN)`, beside a config.py that imports no bot library."""
    script = f"import asyncio\n\nimport discord\n\nclient = discord.Client()\n{last_line}\n"
    files = {"basic.py": script, "config.py": "TOKEN = ''\n"}
    project = project_with(tmp_path, files, dependencies=["discord.py"])

    spec = detect(project, Options())

    assert (spec.detector, spec.production_command, spec.found_in) == (
        "module", ("python", "-m", "basic"), f"basic.py: {how}",
    )  # fmt: skip


def telegram_script(tmp_path: Path, guard: str) -> Project:
    script = (
        "from telegram.ext import Updater\n\nfrom settings import settings\n\n"
        f"if {guard}:\n    pass\n"
    )
    files = {"src/run.py": script, "src/settings.py": "settings = None\n"}
    return project_with(tmp_path, files, dependencies=["python-telegram-bot"])


def test_a_main_guard_may_be_the_first_of_an_and(tmp_path: Path) -> None:
    """Sara2002a/voice-bot1's src/run.py: `if __name__ == "__main__" and settings.mode ==
    production_mode: run()`, its flat imports resolved from src/."""
    guard = '__name__ == "__main__" and settings.mode == "production"'

    spec = detect(telegram_script(tmp_path, guard), Options())

    assert spec.production_command[:2] == ("python", "src/run.py")


@pytest.mark.parametrize(
    "guard", ['__name__ != "__main__"', 'settings.debug and __name__ == "__main__"']
)
def test_a_test_that_is_not_the_main_guard_runs_nothing(tmp_path: Path, guard: str) -> None:
    with pytest.raises(DetectionError, match="a Telegram bot library"):
        detect(telegram_script(tmp_path, guard), Options())


def test_a_call_named_like_a_start_inside_a_function_runs_nothing_at_import(
    tmp_path: Path,
) -> None:
    script = "import discord\n\ndef main():\n    client.run('x')\n"
    project = project_with(tmp_path, {"basic.py": script}, dependencies=["discord.py"])

    with pytest.raises(DetectionError, match="a Discord bot library"):
        detect(project, Options())


def test_two_scripts_of_a_bot_that_run_themselves_are_refused_naming_both(tmp_path: Path) -> None:
    files = {"board/__init__.py": "", "board/main.py": BOT_SCRIPT, "board/admin.py": BOT_SCRIPT}
    project = project_with(tmp_path, files, dependencies=["aiogram"])

    with pytest.raises(DetectionError) as raised:
        detect(project, Options())

    assert (
        'command = ["python", "-m", "board.admin"] (or with board.main, which also runs itself)'
    ) in str(raised.value)


def test_the_command_option_runs_a_bot_as_a_worker(tmp_path: Path) -> None:
    files = {"board/__init__.py": "", "board/bot.py": "import discord\n"}
    project = project_with(tmp_path, files, dependencies=["discord.py"])

    spec = detect(project, Options(command=("python", "-m", "board.bot")))

    assert (spec.detector, spec.kind, spec.production_command, spec.found_in) == (
        "command", "worker", ("python", "-m", "board.bot"), "the command option",
    )  # fmt: skip


def test_the_command_for_a_bot_wins_over_its_console_script(tmp_path: Path) -> None:
    tree = {
        "pyproject.toml": pep621(
            "board",
            dependencies=["aiogram"],
            extra='\n[project.scripts]\nbot = "board.bot:main"\n',
        ),
        "board/__init__.py": "",
        "board/bot.py": "import aiogram\n\ndef main():\n    pass\n",
    }
    project = load_project(write_project(tmp_path, tree, lock=lock_text(locked("aiogram"))))

    spec = detect(project, Options(command=("bot",)))

    assert (spec.detector, spec.production_entrypoint, spec.production_command) == (
        "command", (), ("bot",),
    )  # fmt: skip


@pytest.mark.parametrize("hostile", ['a"b', "$HOME", "a;id", "a`id`", "a && id", "a\\"], ids=repr)
def test_a_hostile_app_option_reaches_sanics_command_as_one_argument(
    tmp_path: Path, hostile: str
) -> None:
    """The app is the shell's "$1" in the CMD's exec form: read back as given, never as shell."""
    from quatrain.pipeline import make_plan
    from unit.test_quoting import parse

    files = {"board/__init__.py": "from sanic import Sanic\n\napp = Sanic('board')\n"}
    project_with(tmp_path, files, dependencies=["sanic"], lock=[locked("sanic", "25.12.1")])

    app = f"board:{hostile}"  # the app option's rule wants a module first

    dockerfile = make_plan(tmp_path, env={}, cli={"app": app}).files["Dockerfile"]

    commands = [c.value for c in parse(dockerfile) if c.cmd == "CMD"]
    assert commands[-1] == (
        "sh", "-c",
        'exec sanic "$1" --host 0.0.0.0 --port "$PORT" --single-process --no-access-logs '
        "--no-motd",
        "sh", app,
    )  # fmt: skip


def test_an_app_option_with_a_newline_is_refused_before_it_reaches_sanics_command(
    tmp_path: Path,
) -> None:
    from quatrain.errors import QuatrainError
    from quatrain.pipeline import make_plan

    files = {"board/__init__.py": "from sanic import Sanic\n\napp = Sanic('board')\n"}
    project_with(tmp_path, files, dependencies=["sanic"], lock=[locked("sanic", "25.12.1")])

    with pytest.raises(QuatrainError):
        make_plan(tmp_path, env={}, cli={"app": "board:app\nRUN id"})

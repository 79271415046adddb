"""An app that stops at start is explained from its last log lines; the excerpts are from
real projects' production images (the corpus of README's "Real projects")."""

from __future__ import annotations

import pytest

from quatrain.checking.start_failures import GENERAL, explain

# paisleypark3121/la2i-flask: imports pylatexenc, which its lock does not hold.
UNLOCKED = """\
  File "/app/utilities/wiki_scraping.py", line 5, in <module>
    from pylatexenc.latex2text import LatexNodes2Text
ModuleNotFoundError: No module named 'pylatexenc'
No module named 'pylatexenc'
[2026-12-01 19:16:15 +0000] [7] [INFO] Worker exiting (pid: 7)
[2026-12-01 19:16:17 +0000] [1] [ERROR] Reason: Worker failed to boot.
"""
# bingneef/rekenkamer-utility, before logs/.gitkeep made logs/ writable.
READ_ONLY = """\
    fileHandler = logging.FileHandler("logs/utility.app.json")
  File "/usr/lib/python3.11/logging/__init__.py", line 1213, in _open
    return open_func(self.baseFilename, self.mode,
PermissionError: [Errno 13] Permission denied: '/app/logs/utility.app.json'
[2026-12-01 18:57:18 +0000] [1] [ERROR] Reason: Worker failed to boot.
"""
# bingneef/rekenkamer-utility without its example.env's settings.
UNSET = """\
  File "/app/src/util/db.py", line 10, in get_conn_auth
    client = pymongo.MongoClient(os.environ["MONGO_CONNECTION_STRING_AUTH"])  # type: ignore
  File "<frozen os>", line 679, in __getitem__
KeyError: 'MONGO_CONNECTION_STRING_AUTH'
"""
# EgorTitov01/hexlet-flask: psycopg2.connect() at import.
REFUSED = (
    '  File "/app/users_example/app.py", line 10, in <module>\n'
    "    conn = psycopg2.connect(\n"
    'psycopg2.OperationalError: connection to server at "localhost" (127.0.0.1), port 5432 '
    "failed: Connection refused\n"
    "\tIs the server running on that host and accepting TCP/IP connections?\n"
)


def test_a_missing_module_is_named_with_where_production_takes_its_packages() -> None:
    assert explain(UNLOCKED).startswith(
        "The app imports pylatexenc, which the image does not have: production installs what "
        "poetry.lock holds for the main group"
    )


def test_a_write_into_the_code_says_where_the_app_may_write() -> None:
    assert explain(READ_ONLY).startswith(
        "The app writes /app/logs/utility.app.json, inside its code, which is read-only"
    )
    assert "a .gitkeep alone in it" in explain(READ_ONLY)


def test_an_unset_environment_variable_is_named() -> None:
    assert explain(UNSET) == (
        "The app reads MONGO_CONNECTION_STRING_AUTH from its environment, and it is not set: "
        "pass it with --run-env KEY=VALUE or --env-file FILE."
    )


def test_a_connection_at_start_is_told_apart_from_a_broken_image() -> None:
    assert explain(REFUSED).startswith("The app connects to a service")


@pytest.mark.parametrize(
    "log",
    [
        "",
        "ImproperlyConfigured: SECRET_KEY must not be empty\n",
        "Traceback...\nKeyError: 'BROKER_URL'\n",  # a KeyError that no environment read raised
    ],
)
def test_anything_else_gets_the_general_advice(log: str) -> None:
    assert explain(log) == GENERAL


def test_only_the_exception_that_stopped_the_app_is_read() -> None:
    """An earlier, handled ModuleNotFoundError (an optional speedup) is not the cause."""
    log = "ModuleNotFoundError: No module named 'ujson'\nfalling back\n" + UNSET

    assert explain(log).startswith("The app reads MONGO_CONNECTION_STRING_AUTH")

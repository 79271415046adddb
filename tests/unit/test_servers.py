"""The server commands, chosen from the lock: pure functions over Lock values."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from quatrain.detectors import servers
from quatrain.errors import ProjectError
from quatrain.reading.project import Lock, LockedPackage
from quatrain.settings.options import Options

GUNICORN = ("gunicorn", "--graceful-timeout=8")
TMP_DIR = "--worker-tmp-dir=/dev/shm"
CONTROL = "--control-socket=/dev/shm/gunicorn.ctl"  # gunicorn 25.1 and later
REUSE_PORT = "--reuse-port"  # gunicorn 24.0 and later: a listening socket per worker


def lock_of(*packages: tuple[str, str] | tuple[str, str, Sequence[str]]) -> Lock:
    """A lock of (name, version[, groups]) entries; the groups default to main."""
    return Lock(
        lock_version="2.1",
        poetry_version="2.5.1",
        packages=tuple(
            LockedPackage(
                name=entry[0],
                version=entry[1],
                groups=tuple(entry[2]) if len(entry) == 3 else ("main",),
            )
            for entry in packages
        ),
    )


def test_gunicorn_runs_threads_unless_given_a_worker_class() -> None:
    lock = lock_of(("gunicorn", "23.0.0"))
    assert servers.gunicorn("pkg:app", Options(threads=8), lock) == (
        *GUNICORN,
        "--threads=8",
        TMP_DIR,
        "pkg:app",
    )
    assert servers.gunicorn("pkg:app", Options(threads=8), lock, worker="asgi") == (
        *GUNICORN,
        "--worker-class=asgi",
        TMP_DIR,
        "pkg:app",
    )


def test_gunicorn_from_25_1_keeps_its_control_socket_where_a_read_only_root_allows() -> None:
    for version, control in (("25.0.3", ()), ("25.1.0", (CONTROL,)), ("27.0.1", (CONTROL,))):
        lock = lock_of(("gunicorn", version))
        assert servers.gunicorn("pkg:app", Options(), lock) == (
            *GUNICORN,
            "--threads=4",
            REUSE_PORT,
            TMP_DIR,
            *control,
            "pkg:app",
        )


def test_gunicorn_from_24_gives_each_worker_its_own_socket_so_connections_spread() -> None:
    # Before 24.0 the flag set SO_REUSEPORT on the one shared socket and balanced nothing.
    for version, reuse_port in (
        ("23.0.0", ()),
        ("24.0.0", (REUSE_PORT,)),
        ("24.1.1", (REUSE_PORT,)),
    ):
        lock = lock_of(("gunicorn", version))
        assert servers.gunicorn("pkg:app", Options(), lock) == (
            *GUNICORN,
            "--threads=4",
            *reuse_port,
            TMP_DIR,
            "pkg:app",
        )
        assert servers.gunicorn("pkg:app", Options(), lock, worker="aiohttp.GunicornWebWorker") == (
            *GUNICORN,
            "--worker-class=aiohttp.GunicornWebWorker",
            *reuse_port,
            TMP_DIR,
            "pkg:app",
        )


def test_in_shell_hands_pid_1_to_the_command_through_exec() -> None:
    assert servers.in_shell('uvicorn a:b --port "$PORT"') == (
        "sh",
        "-c",
        'exec uvicorn a:b --port "$PORT"',
    )


def test_the_access_log_option_turns_on_each_servers_request_log() -> None:
    logged = Options(access_log=True)

    assert servers.gunicorn("pkg:app", logged, lock_of(("gunicorn", "23.0.0"))) == (
        "gunicorn",
        "--access-logfile=-",
        "--graceful-timeout=8",
        "--threads=4",
        TMP_DIR,
        "pkg:app",
    )
    uvicorn = servers.asgi_server("api:app", lock_of(("uvicorn", "0.38.0")), logged, "api")
    assert uvicorn.command == (
        "sh", "-c", 'exec uvicorn "$1" --host 0.0.0.0 --port "$PORT" --proxy-headers',
        "sh", "api:app",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("app", "script", "argument"),
    [
        ("pkg:app", 'exec uvicorn "$1" --port 1', "pkg:app"),
        ("pkg.web:create_app()", 'exec uvicorn "$1" --factory --port 1', "pkg.web:create_app"),
        ("pkg:make_app()", 'exec uvicorn "$1" --factory --port 1', "pkg:make_app"),
        ("pkg:a && touch /x", 'exec uvicorn "$1" --port 1', "pkg:a && touch /x"),
    ],
)
def test_uvicorn_loads_a_factory_with_factory_and_gets_the_app_as_one_argument(
    app: str, script: str, argument: str
) -> None:
    assert servers.uvicorn(app, "--port 1") == ("sh", "-c", script, "sh", argument)


def test_locked_in_main_needs_the_main_group_and_compares_canonical_names() -> None:
    lock = lock_of(("Uvicorn_Worker", "0.4.0"), ("pytest", "9.0.0", ["dev"]))

    assert servers.locked_in_main(lock, "uvicorn-worker") is True
    assert servers.locked_in_main(lock, "pytest") is False
    assert servers.locked_anywhere(lock, "pytest") is True
    assert servers.locked_anywhere(lock, "gunicorn") is False


def test_a_wsgi_app_is_served_by_gunicorn_with_threads() -> None:
    server = servers.wsgi_server("shop:app", lock_of(("gunicorn", "23.0.0")), Options(), "shop")

    assert server == servers.Server(
        command=(*GUNICORN, "--threads=4", TMP_DIR, "shop:app"), requires="gunicorn"
    )


def test_a_wsgi_app_whose_lock_has_no_gunicorn_gets_the_pinned_one_with_its_flags() -> None:
    server = servers.wsgi_server("shop:app", lock_of(), Options(), "shop")

    assert server.brought == (servers.BROUGHT_GUNICORN,)
    assert server.brought[0].hashes == (
        "sha256:378b26b9a38adcf4592f28828233c1716acc55e833ea06bf48719782efaa0d10",
    )
    # The flags follow the gunicorn that is installed: 27.0.1 has the socket per worker and
    # the control socket.
    assert server.command == (
        "gunicorn", "--graceful-timeout=8", "--threads=4", "--reuse-port",
        "--worker-tmp-dir=/dev/shm", "--control-socket=/dev/shm/gunicorn.ctl", "shop:app",
    )  # fmt: skip


@pytest.mark.parametrize("python", ["3.9", "3.9.18"])
def test_on_python_3_9_the_brought_gunicorn_is_one_that_runs_there_with_its_flags(
    python: str,
) -> None:
    """gunicorn 27 needs Python 3.10; moaazsidat/dash-playground's 2021 lock gets 3.9."""
    server = servers.wsgi_server("shop:app", lock_of(), Options(python_version=python), "shop")

    assert [(p.name, p.version) for p in server.brought] == [("gunicorn", "23.0.0")]
    assert server.brought[0].hashes == (
        "sha256:ec400d38950de4dfd418cff8328b2c8faed0edb0d517d3394e457c317908ca4d",
    )
    # 23.0 has neither a socket per worker nor a control socket.
    assert server.command == (*GUNICORN, "--threads=4", TMP_DIR, "shop:app")


@pytest.mark.parametrize("python", [None, "3.10", "3.11.7", "3.15"])
def test_from_python_3_10_the_brought_gunicorn_is_the_newest(python: str | None) -> None:
    assert servers.brought_gunicorn(python) == servers.BROUGHT_GUNICORN


@pytest.mark.parametrize(
    ("lock", "command", "requires"),
    [
        (
            lock_of(("gunicorn", "23.0.0"), ("uvicorn", "0.38.0"), ("uvicorn-worker", "0.4.0")),
            (*GUNICORN, "--worker-class=uvicorn_worker.UvicornWorker", TMP_DIR, "api:app"),
            "gunicorn",
        ),
        (
            lock_of(("gunicorn", "23.0.0"), ("uvicorn", "0.38.0")),
            (*GUNICORN, "--worker-class=uvicorn.workers.UvicornWorker", TMP_DIR, "api:app"),
            "gunicorn",
        ),
        (
            lock_of(("gunicorn", "25.1.0")),
            (*GUNICORN, "--worker-class=asgi", REUSE_PORT, TMP_DIR, CONTROL, "api:app"),
            "gunicorn",
        ),
        (
            lock_of(("gunicorn", "26.0")),
            (*GUNICORN, "--worker-class=asgi", REUSE_PORT, TMP_DIR, CONTROL, "api:app"),
            "gunicorn",
        ),
        (
            # uvicorn's worker when both are there: it serves what the project chose.
            lock_of(("gunicorn", "25.1.0"), ("uvicorn", "0.38.0"), ("uvicorn-worker", "0.4.0")),
            (
                *GUNICORN,
                "--worker-class=uvicorn_worker.UvicornWorker",
                REUSE_PORT,
                TMP_DIR,
                CONTROL,
                "api:app",
            ),
            "gunicorn",
        ),
        (
            lock_of(("uvicorn", "0.38.0")),
            (
                "sh",
                "-c",
                'exec uvicorn "$1" --host 0.0.0.0 --port "$PORT" --proxy-headers --no-access-log',
                "sh",
                "api:app",
            ),
            "uvicorn",
        ),
        (
            # gunicorn before 25.1 has no ASGI worker of its own: uvicorn's deprecated one.
            lock_of(("gunicorn", "25.0.3"), ("uvicorn", "0.38.0")),
            (
                *GUNICORN,
                "--worker-class=uvicorn.workers.UvicornWorker",
                REUSE_PORT,
                TMP_DIR,
                "api:app",
            ),
            "gunicorn",
        ),
        (
            lock_of(("gunicorn", "23.0.0", ["dev"]), ("uvicorn", "0.38.0")),
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
    ids=[
        "gunicorn+uvicorn-worker",
        "gunicorn+uvicorn",
        "gunicorn-25.1",
        "gunicorn-26.0",
        "uvicorn-worker-before-gunicorns-own",
        "uvicorn-alone",
        "gunicorn-25.0+uvicorn",
        "gunicorn-dev-only+uvicorn",
    ],
)
def test_the_asgi_server_is_the_one_the_lock_allows(
    lock: Lock, command: tuple[str, ...], requires: str
) -> None:
    server = servers.asgi_server("api:app", lock, Options(), "api")

    assert server == servers.Server(command=command, requires=requires)


@pytest.mark.parametrize(
    "lock",
    [lock_of(("gunicorn", "25.0.3")), lock_of(("gunicorn", "25"))],
    ids=["gunicorn-25.0", "gunicorn-25"],
)
def test_an_asgi_app_whose_gunicorn_has_no_asgi_worker_says_to_add_uvicorn_worker(
    lock: Lock,
) -> None:
    with pytest.raises(ProjectError) as raised:
        servers.asgi_server("api:app", lock, Options(), "api")

    assert str(raised.value) == (
        "api is an ASGI app, and its production image needs a server that the project locks "
        "as a runtime dependency; none is. Run `poetry add gunicorn uvicorn-worker` and build "
        "again."
    )


def test_an_asgi_app_without_a_server_in_production_is_served_by_a_brought_gunicorn() -> None:
    for lock in (lock_of(), lock_of(("gunicorn", "23.0.0", ["dev"]))):
        server = servers.asgi_server("api:app", lock, Options(), "api")

        assert server.brought == (servers.BROUGHT_GUNICORN,)
        assert "--worker-class=asgi" in server.command


def test_on_python_3_9_servers_locked_only_in_dev_groups_are_named_with_their_groups() -> None:
    # The gunicorn quatrain brings for 3.9 (23.0) has no ASGI worker.
    lock = lock_of(("uvicorn-worker", "0.4.0", ["dev", "test"]), ("gunicorn", "23.0.0", ["dev"]))

    with pytest.raises(ProjectError) as raised:
        servers.asgi_server("api:app", lock, Options(python_version="3.9"), "api")

    assert str(raised.value) == (
        "api is an ASGI app, and its production image needs a server that the project locks "
        "as a runtime dependency; none is. gunicorn is locked only in the `dev` group; "
        "uvicorn-worker is locked only in the `dev`, `test` groups, which the production image "
        "does not install (it installs the main group without extras). Run `poetry remove "
        "--group dev gunicorn && poetry remove --group dev uvicorn-worker && poetry add "
        "gunicorn uvicorn-worker` and build again."
    )


def test_a_server_locked_only_through_an_extra_is_a_runtime_server_only_with_that_extra() -> None:
    lock = Lock(
        lock_version="2.1",
        poetry_version="2.5.1",
        packages=(
            LockedPackage(name="gunicorn", version="23.0.0", groups=("main",), optional=True),
        ),
        extras={"server": ("gunicorn",)},
    )

    assert servers.locked_in_main(lock, "gunicorn") is False
    assert servers.locked_in_main(lock, "gunicorn", extras=("Server",)) is True
    assert servers.wsgi_server("shop:app", lock, Options(), "shop").brought == (
        servers.BROUGHT_GUNICORN,
    )
    assert servers.wsgi_server("shop:app", lock, Options(extras=("server",)), "shop").brought == ()


def test_asgi_development_reloads_with_uvicorn_when_any_group_locks_it() -> None:
    lock = lock_of(("gunicorn", "25.1.0"), ("uvicorn", "0.38.0", ["dev"]))
    production = servers.asgi_server("api:create_app()", lock, Options(), "api")

    assert servers.asgi_development("api:create_app()", lock, production) == (
        "sh",
        "-c",
        'exec uvicorn "$1" --factory --reload --host 0.0.0.0 --port "$PORT"',
        "sh",
        "api:create_app",
    )


def test_asgi_development_without_uvicorn_reloads_the_production_gunicorn() -> None:
    lock = lock_of(("gunicorn", "25.1.0"))
    production = servers.asgi_server("api:app", lock, Options(), "api")

    assert servers.asgi_development("api:app", lock, production) == (
        *GUNICORN,
        "--worker-class=asgi",
        REUSE_PORT,
        TMP_DIR,
        CONTROL,
        "--reload",
        "api:app",
    )

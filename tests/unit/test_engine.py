from __future__ import annotations

import stat
import subprocess
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quatrain import cmd, engines
from quatrain.engines import (
    Engine,
    build_argv,
    build_env,
    build_failure,
    connect,
    run_argv,
    running,
    settings_file,
)
from quatrain.errors import ConfigurationError, EngineError
from quatrain.settings import schema
from quatrain.settings.schema import EngineKind

BUILDX = Engine(
    binary="docker", client_version="28.5.1", server_version="28.5.1", buildx=True, env={}
)
CLASSIC = Engine(
    binary="/usr/bin/docker",
    client_version="20.10.24",
    server_version="20.10.24",
    buildx=False,
    env={"HOME": "/root"},
)

# `docker version --format '{{json .}}'` as real clients print it (one line, trimmed a little).
VERSION_20_10 = (
    '{"Client":{"Platform":{"Name":"Docker Engine - Community"},"Version":"20.10.24",'
    '"ApiVersion":"1.41","DefaultAPIVersion":"1.41","GitCommit":"297e128","GoVersion":"go1.19.7",'
    '"Os":"linux","Arch":"amd64","BuildTime":"Tue Apr  4 18:21:00 2023","Context":"default",'
    '"Experimental":true},"Server":{"Platform":{"Name":"Docker Engine - Community"},'
    '"Components":[{"Name":"Engine","Version":"20.10.24","Details":{"ApiVersion":"1.41",'
    '"Arch":"amd64","BuildTime":"Tue Apr  4 18:20:23 2023","Experimental":"false",'
    '"GitCommit":"5d6db84","GoVersion":"go1.19.7","KernelVersion":"5.15.0-91-generic",'
    '"MinAPIVersion":"1.12","Os":"linux"}}],"Version":"20.10.24","ApiVersion":"1.41",'
    '"MinAPIVersion":"1.12","GitCommit":"5d6db84","GoVersion":"go1.19.7","Os":"linux",'
    '"Arch":"amd64","KernelVersion":"5.15.0-91-generic","BuildTime":"2023-04-04T18:20:23.000000000+00:00"}}\n'
)
VERSION_28 = (
    '{"Client":{"Platform":{"Name":"Docker Engine - Community"},"Version":"28.5.1",'
    '"ApiVersion":"1.51","DefaultAPIVersion":"1.51","GitCommit":"e180ab8","GoVersion":"go1.24.8",'
    '"Os":"linux","Arch":"amd64","BuildTime":"Wed Oct  8 12:17:24 2025","Context":"default"},'
    '"Server":{"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine",'
    '"Version":"28.5.1","Details":{"ApiVersion":"1.51","Arch":"amd64",'
    '"BuildTime":"Wed Oct  8 12:17:24 2025","Experimental":"false","GitCommit":"f8215cc",'
    '"GoVersion":"go1.24.8","KernelVersion":"6.8.0-85-generic","MinAPIVersion":"1.24",'
    '"Os":"linux"}},{"Name":"containerd","Version":"v1.7.28","Details":{"GitCommit":"b98a3aa"}}],'
    '"Version":"28.5.1","ApiVersion":"1.51","MinAPIVersion":"1.24","GitCommit":"f8215cc",'
    '"GoVersion":"go1.24.8","Os":"linux","Arch":"amd64","KernelVersion":"6.8.0-85-generic",'
    '"BuildTime":"2025-10-08T12:17:24.000000000+00:00"}}\n'
)
VERSION_28_DAEMON_DOWN = (
    '{"Client":{"Platform":{"Name":"Docker Engine - Community"},"Version":"28.5.1",'
    '"ApiVersion":"1.51","DefaultAPIVersion":"1.51","GitCommit":"e180ab8","GoVersion":"go1.24.8",'
    '"Os":"linux","Arch":"amd64","BuildTime":"Wed Oct  8 12:17:24 2025","Context":"default"},'
    '"Server":null}\n'
)
DAEMON_DOWN = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)
BUILDX_VERSION = "github.com/docker/buildx v0.29.1 a32761aeb3debd39be1eca514af3693af0db334b\n"
NO_BUILDX = "docker: unknown command: docker buildx\n\nRun 'docker --help' for more information\n"


@dataclass
class FakeDocker:
    """Stands in for `cmd.capture`: canned answers by subcommand, and a record of the calls."""

    version: subprocess.CompletedProcess[str]
    buildx: subprocess.CompletedProcess[str]
    calls: list[tuple[list[str], dict[str, str]]] = field(default_factory=list)

    def capture(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), dict(env or {})))
        return self.buildx if argv[1] == "buildx" else self.version


def answer(returncode: int, stdout: str, stderr: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["docker"], returncode, stdout, stderr)


def fake_docker(
    monkeypatch: pytest.MonkeyPatch,
    version: subprocess.CompletedProcess[str],
    *,
    buildx: bool,
) -> FakeDocker:
    fake = FakeDocker(
        version=version, buildx=answer(0, BUILDX_VERSION) if buildx else answer(1, "", NO_BUILDX)
    )
    monkeypatch.setattr(cmd, "capture", fake.capture)
    return fake


def test_a_20_10_engine_without_buildx_is_used_the_classic_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fake_docker(monkeypatch, answer(0, VERSION_20_10), buildx=False)

    engine = connect("docker", {"DOCKER_HOST": "unix:///run/docker.sock"})

    assert engine == Engine(
        binary="docker",
        client_version="20.10.24",
        server_version="20.10.24",
        buildx=False,
        env={"DOCKER_HOST": "unix:///run/docker.sock"},
    )
    assert fake.calls == [
        (
            ["docker", "version", "--format", "{{json .}}"],
            {"DOCKER_HOST": "unix:///run/docker.sock"},
        ),
        (["docker", "buildx", "version"], {"DOCKER_HOST": "unix:///run/docker.sock"}),
    ]


def test_a_28_client_without_buildx_is_an_engine_error_with_a_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_docker(monkeypatch, answer(0, VERSION_28), buildx=False)

    with pytest.raises(EngineError) as raised:
        connect("docker", {})

    assert str(raised.value) == (
        "`docker` is Docker client 28.5.1 without the buildx plugin, and clients from 23.0 on "
        "need buildx for BuildKit builds. Install buildx (package docker-buildx-plugin or "
        "docker-buildx), or point quatrain at a client that has it with --docker PATH or "
        "QUATRAIN_DOCKER=PATH."
    )
    assert raised.value.return_code == 5


def test_a_28_client_with_buildx_is_used_through_buildx(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker(monkeypatch, answer(0, VERSION_28), buildx=True)

    engine = connect("/usr/local/bin/docker", {})

    assert engine == Engine(
        binary="/usr/local/bin/docker",
        client_version="28.5.1",
        server_version="28.5.1",
        buildx=True,
        env={},
    )


def test_a_20_10_engine_with_buildx_is_used_through_buildx(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_docker(monkeypatch, answer(0, VERSION_20_10), buildx=True)

    assert connect("docker", {}).buildx is True


def test_a_daemon_that_is_down_is_an_engine_error_with_the_clients_own_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fake_docker(
        monkeypatch, answer(1, VERSION_28_DAEMON_DOWN, DAEMON_DOWN + "\n"), buildx=True
    )

    with pytest.raises(EngineError) as raised:
        connect("docker", {})

    assert str(raised.value) == (
        f"The Docker daemon is not answering `docker version` ({DAEMON_DOWN}). Start it (for "
        "example `sudo systemctl start docker`) or point DOCKER_HOST at a running one."
    )
    assert [argv for argv, _ in fake.calls] == [["docker", "version", "--format", "{{json .}}"]]


def test_output_that_is_not_json_is_an_engine_error_without_a_server_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_docker(monkeypatch, answer(0, "Docker version 28.5.1, build e180ab8\n"), buildx=True)

    with pytest.raises(EngineError) as raised:
        connect("docker", {})

    assert str(raised.value) == (
        "The Docker daemon is not answering `docker version` (no server version). Start it (for "
        "example `sudo systemctl start docker`) or point DOCKER_HOST at a running one."
    )


def test_a_buildx_build_loads_the_image_and_sorts_the_build_arguments() -> None:
    argv = build_argv(
        BUILDX,
        context=Path("/src/shop"),
        dockerfile=Path("/tmp/quatrain-x/Dockerfile"),
        target="development",
        tag="shop:development",
        build_args={"PYTHON_VERSION": "3.12", "DEBIAN_RELEASE": "bookworm"},
        network="host",
    )

    assert argv == [
        "docker",
        "buildx",
        "build",
        "--load",
        "--progress=plain",
        "--file",
        "/tmp/quatrain-x/Dockerfile",
        "--target",
        "development",
        "--tag",
        "shop:development",
        "--build-arg",
        "DEBIAN_RELEASE=bookworm",
        "--build-arg",
        "PYTHON_VERSION=3.12",
        "--network",
        "host",
        "/src/shop",
    ]


def test_a_classic_build_is_plain_docker_build_with_only_what_was_asked() -> None:
    argv = build_argv(
        CLASSIC,
        context=Path("/src/shop"),
        dockerfile=Path("/src/shop/Dockerfile"),
        target=None,
        tag=None,
        build_args={},
        network=None,
    )

    assert argv == [
        "/usr/bin/docker",
        "build",
        "--progress=plain",
        "--file",
        "/src/shop/Dockerfile",
        "/src/shop",
    ]


def test_the_build_environment_turns_buildkit_on_over_the_engines_environment() -> None:
    assert build_env(CLASSIC) == {"HOME": "/root", "DOCKER_BUILDKIT": "1"}
    assert build_env(BUILDX) == {"DOCKER_BUILDKIT": "1"}
    assert CLASSIC.env == {"HOME": "/root"}


def test_a_plain_run_removes_its_container() -> None:
    assert run_argv(BUILDX, "shop:latest") == ["docker", "run", "--rm", "shop:latest"]


def test_a_run_with_everything_lists_flags_in_a_fixed_order_and_names_its_settings_file() -> None:
    argv = run_argv(
        CLASSIC,
        "shop:development",
        command=("flask", "routes"),
        env_file=Path("/tmp/quatrain-run-x/settings.env"),
        network="host",
        publish=["9000:9000", "9001:9001"],
        interactive=True,
        name="shop-dev",
    )

    assert argv == [
        "/usr/bin/docker",
        "run",
        "--rm",
        "--interactive",
        "--tty",
        "--name",
        "shop-dev",
        "--network",
        "host",
        "--publish",
        "9000:9000",
        "--publish",
        "9001:9001",
        "--env-file",
        "/tmp/quatrain-run-x/settings.env",
        "shop:development",
        "flask",
        "routes",
    ]


def test_the_settings_reach_the_engine_in_a_file_only_the_user_reads_removed_after() -> None:
    with settings_file({"PORT": "9000", "SECRET_KEY": " canary=1 'q' $x"}) as path:
        assert path is not None
        assert path.read_text() == "PORT=9000\nSECRET_KEY= canary=1 'q' $x\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not path.exists()
    with settings_file({}) as nothing:
        assert nothing is None


@pytest.mark.parametrize("value", ["two\nlines", "carriage\rreturn", "nul\0byte", "x" * 32_769])
def test_a_setting_no_env_file_can_carry_is_refused_before_anything_runs(value: str) -> None:
    with pytest.raises(ConfigurationError) as raised, settings_file({"TOKEN": value}):
        pass

    assert str(raised.value).startswith("The setting TOKEN ")
    assert value[:8] not in str(raised.value)


def test_a_run_with_an_entrypoint_replaces_the_images_before_the_network() -> None:
    argv = run_argv(
        BUILDX, "greeter:latest", command=("-c", "import greeter"), network="none",
        entrypoint="python", name="check",
    )  # fmt: skip

    assert argv == [
        "docker",
        "run",
        "--rm",
        "--name",
        "check",
        "--entrypoint",
        "python",
        "--network",
        "none",
        "greeter:latest",
        "-c",
        "import greeter",
    ]


def test_a_detached_run_keeps_its_container_for_the_caller_to_remove() -> None:
    argv = run_argv(BUILDX, "shop:latest", network="none", detach=True)

    assert argv == ["docker", "run", "--detach", "--network", "none", "shop:latest"]


def versions(server: str) -> str:
    """`docker version --format '{{json .}}'`, only the two versions quatrain reads."""
    return f'{{"Client":{{"Version":"{server}"}},"Server":{{"Version":"{server}"}}}}\n'


@pytest.mark.parametrize("server", ["19.03.13", "18.09.9", "1.13.1"])
def test_an_engine_older_than_20_10_is_an_engine_error_that_says_why(
    monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    fake = fake_docker(monkeypatch, answer(0, versions(server)), buildx=False)

    with pytest.raises(EngineError) as raised:
        connect("docker", {})

    assert str(raised.value) == (
        f"`docker` talks to Docker Engine {server}, and quatrain needs 20.10 or later: the "
        "Dockerfile's RUN --mount (caches, secrets) needs the Dockerfile frontend 1.2 that "
        "engines build with from 20.10 on. Upgrade the engine, or point DOCKER_HOST at a newer "
        "one."
    )
    assert raised.value.return_code == 5
    assert [argv[1] for argv, _ in fake.calls] == ["version"]  # before buildx is asked


@pytest.mark.parametrize("server", ["20.10.0", "20.10.24", "23.0.0", "master-dockerproject-2020"])
def test_an_engine_from_20_10_on_or_of_no_release_is_used(
    monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    fake_docker(monkeypatch, answer(0, versions(server)), buildx=True)

    assert connect("docker", {}).server_version == server


def test_the_keep_container_variable_makes_an_engine_that_keeps_its_containers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_docker(monkeypatch, answer(0, VERSION_28), buildx=True)

    assert connect("docker", {"QUATRAIN_DEBUG_KEEP_CONTAINER": "1"}).keep_containers is True
    assert connect("docker", {"QUATRAIN_DEBUG_KEEP_CONTAINER": "0"}).keep_containers is False
    assert connect("docker", {}).keep_containers is False


@dataclass
class FakeContainers:
    """Stands in for `cmd.capture` under `running`: `run --detach` answers a container id."""

    calls: list[list[str]] = field(default_factory=list)

    def capture(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        return answer(0, "c0ffee\n" if argv[1] == "run" else "")


@pytest.mark.parametrize("keep", [False, True])
def test_a_running_container_is_removed_unless_the_engine_keeps_containers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], keep: bool
) -> None:
    fake = FakeContainers()
    monkeypatch.setattr(cmd, "capture", fake.capture)
    engine = Engine(
        binary="docker", client_version="28.5.1", server_version="28.5.1", buildx=True, env={},
        keep_containers=keep,
    )  # fmt: skip

    with running(engine, "shop:latest") as container:
        assert container == "c0ffee"

    removed = ["docker", "rm", "--force", "c0ffee"]
    assert (removed in fake.calls) is not keep
    kept = capsys.readouterr().err
    assert ("Kept container c0ffee (QUATRAIN_DEBUG_KEEP_CONTAINER=1)" in kept) is keep


def test_a_failed_source_build_names_the_package_and_what_to_set() -> None:
    lines = [
        "#16 4.868 error: Failed to build `django-allauth==0.45.0`",
        "#16 4.868   cause: The build backend returned an error",
        "#16 ERROR: executor failed running [/bin/sh -c uv pip install ...]: exit code: 1",
    ]

    message = build_failure(lines)

    assert message.startswith(
        "The image build failed building django-allauth==0.45.0 from source: the lock has no "
        "wheel of it for the image's Python and platform"
    )
    assert "build-apt-packages" in message
    assert "python-version" in message


def test_a_dependency_the_lock_names_and_does_not_hold_is_explained() -> None:
    """filipeandrade6/telegram-bot-boilerplate: a lock 1.0 whose apscheduler depends on
    setuptools, which Poetry 1.0 never locked; every poetry-plugin-export refuses it."""
    lines = [
        "#12 0.905 Dependency walk failed at setuptools (>=0.7)",
        "#12 ERROR: executor failed running [/bin/sh -c poetry export --only main ...]: 1",
    ]

    assert build_failure(lines) == (
        "The image build failed at `poetry export`: poetry.lock names setuptools as a "
        "dependency of a locked package but does not lock it (Poetry before 1.4 left "
        "setuptools out of every lock), and the export plugin refuses such a lock. Run "
        "`poetry lock` with a current Poetry, which locks it, and build again."
    )


def test_any_other_failed_build_points_at_the_engines_output() -> None:
    message = build_failure(["#9 ERROR: failed to compute cache key"])

    assert message.startswith("The image build failed; the engine's output above shows the step")


def test_every_engine_the_engine_option_names_has_one_module_in_the_table() -> None:
    assert list(engines.ENGINES) == list(typing.get_args(EngineKind))
    # and `none`, the daemonless assembler, which runs no Dockerfile
    assert schema.RULES["engine"].schema == {"enum": [*engines.ENGINES, "none"]}


def test_an_index_the_build_cannot_reach_is_named() -> None:
    lines = [
        "#16 6.168 error: Request failed after 3 retries in 5.9s",
        "#16 6.169   cause: error sending request for url "
        "(https://registry.example.org/api/packages/team/pypi/simple/requests/)",
        "#16 6.170   cause: dns error",
        "#16 ERROR: executor failed running [/bin/sh -c python -m venv ...]: exit code: 2",
    ]

    assert build_failure(lines) == (
        "The image build could not reach https://registry.example.org, where poetry.lock says "
        "packages come from (a source in pyproject.toml, or its locked URLs). Build where that "
        "index answers (its network or VPN; credentials go in private-sources), or lock from "
        "an index the build can reach."
    )

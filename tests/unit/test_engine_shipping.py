"""Push, cache and builder: the argv each path gets, and a registry's failures in plain words."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from quatrain import cmd, pipeline
from quatrain.__main__ import main
from quatrain.building import build_outputs, registry
from quatrain.engines import Engine, Outputs, build_argv, builder_driver
from quatrain.errors import ConfigurationError, EngineError, RegistryError
from quatrain.plan import BuildRequest
from unit.conftest import flask_project

BUILDX = Engine(
    binary="docker", client_version="28.2.2", server_version="20.10.24", buildx=True, env={}
)
CLASSIC = Engine(
    binary="/usr/bin/docker",
    client_version="20.10.24",
    server_version="20.10.24",
    buildx=False,
    env={},
)
REF = "127.0.0.1:5000/team/shop"


def argv(engine: Engine, outputs: Outputs, tag: str | None = f"{REF}:1") -> list[str]:
    return build_argv(
        engine,
        context=Path("/src/shop"),
        dockerfile=Path("/src/shop/Dockerfile"),
        target="production",
        tag=tag,
        build_args={},
        network=None,
        outputs=outputs,
    )


HEAD = ["--progress=plain", "--file", "/src/shop/Dockerfile", "--target", "production"]


def test_buildx_pushes_from_the_builder_and_the_docker_driver_needs_no_load_beside_it() -> None:
    outputs = Outputs(extra_tags=(f"{REF}:latest",), push=True)

    assert argv(BUILDX, outputs) == [
        "docker", "buildx", "build", "--push", *HEAD,
        "--tag", f"{REF}:1", "--tag", f"{REF}:latest", "/src/shop",
    ]  # fmt: skip


def test_a_container_builder_pushes_and_loads_and_gets_the_builder_by_name() -> None:
    outputs = Outputs(push=True, builder="ci", driver="docker-container")

    assert argv(BUILDX, outputs)[:7] == [
        "docker", "buildx", "build", "--builder", "ci", "--push", "--load",
    ]  # fmt: skip


def test_without_push_buildx_loads_into_the_engine() -> None:
    assert argv(BUILDX, Outputs())[:4] == ["docker", "buildx", "build", "--load"]


def test_the_classic_build_takes_every_tag_and_the_cache_sources_but_never_pushes_itself() -> None:
    outputs = Outputs(extra_tags=(f"{REF}:latest",), push=True, cache_from=(f"{REF}:cache",))

    assert argv(CLASSIC, outputs) == [
        "/usr/bin/docker", "build", *HEAD, "--tag", f"{REF}:1", "--tag", f"{REF}:latest",
        "--cache-from", f"{REF}:cache", "/src/shop",
    ]  # fmt: skip


def test_cache_flags_pass_through_to_buildx_in_order_after_the_secrets() -> None:
    outputs = Outputs(cache_from=("type=local,src=/c", "a:b"), cache_to=("type=local,dest=/c",))

    assert argv(BUILDX, outputs, tag=None)[-7:] == [
        "--cache-from", "type=local,src=/c", "--cache-from", "a:b",
        "--cache-to", "type=local,dest=/c", "/src/shop",
    ]  # fmt: skip


def test_the_classic_build_refuses_a_builder_and_a_cache_export_and_says_what_to_use() -> None:
    with pytest.raises(EngineError) as builder:
        argv(CLASSIC, Outputs(builder="ci"))
    with pytest.raises(EngineError) as export:
        argv(CLASSIC, Outputs(cache_to=(f"type=registry,ref={REF}",)))

    assert str(builder.value) == (
        "--builder ci chooses a buildx builder, and `/usr/bin/docker` has no buildx plugin. "
        "Install buildx (docker-buildx-plugin or docker-buildx) or drop --builder "
        "(QUATRAIN_BUILDER)."
    )
    assert str(export.value).startswith(
        "`/usr/bin/docker build` (BuildKit without buildx) cannot export a cache: it has no "
        "--cache-to. Use --cache-ref REGISTRY/NAME"
    )


def answer(code: int, stdout: str = "", stderr: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], code, stdout, stderr)


def test_the_builders_driver_is_read_from_buildx_inspect(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Sequence[str]] = []

    def capture(argv: Sequence[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return answer(0, "Name:          ci\nDriver:        docker-container\nLast Activity: x\n")

    monkeypatch.setattr(cmd, "capture", capture)

    assert builder_driver(BUILDX, "ci") == "docker-container"
    assert calls == [["docker", "buildx", "inspect", "ci"]]


def test_a_builder_buildx_does_not_know_is_an_engine_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        cmd, "capture", lambda *_, **__: answer(1, "", 'ERROR: no builder "ci" found\n')
    )

    with pytest.raises(EngineError) as raised:
        builder_driver(BUILDX, "ci")

    assert str(raised.value).startswith('buildx has no builder ci (ERROR: no builder "ci" found).')


def test_a_container_builder_gets_the_registry_cache_of_every_stage() -> None:
    cache = registry.cache_for(REF, "production", buildx=True, driver="docker-container")

    assert cache == registry.Cache(
        mode="registry",
        cache_from=(f"type=registry,ref={REF}:production",),
        cache_to=(f"type=registry,ref={REF}:production,mode=max",),
    )


@pytest.mark.parametrize("buildx", [False, True])
def test_the_engines_own_buildkit_gets_the_inline_cache_carried_by_a_pushed_tag(
    buildx: bool,
) -> None:
    cache = registry.cache_for(REF, "development", buildx=buildx, driver="docker")

    assert cache == registry.Cache(
        mode="inline",
        cache_from=(f"{REF}:development",),
        build_args={"BUILDKIT_INLINE_CACHE": "1"},
        carrier=f"{REF}:development",
    )


@pytest.mark.parametrize("buildx", [False, True])
def test_production_inline_cache_also_carries_the_build_stage_it_copies_from(buildx: bool) -> None:
    cache = registry.cache_for(REF, "production", buildx=buildx, driver="docker")

    assert cache == registry.Cache(
        mode="inline",
        cache_from=(f"{REF}:build", f"{REF}:production"),
        build_args={"BUILDKIT_INLINE_CACHE": "1"},
        carrier=f"{REF}:production",
        stage_carriers=(("build", f"{REF}:build"),),
    )


@pytest.mark.parametrize(
    ("reference", "host"),
    [
        ("127.0.0.1:5000/shop:1", "127.0.0.1:5000"),
        ("registry.example.org/team/shop", "registry.example.org"),
        ("localhost/shop", "localhost"),
        ("team/shop:1", "docker.io"),
        ("shop", "docker.io"),
    ],
)
def test_the_registry_of_a_reference_is_its_first_component_when_that_is_a_host(
    reference: str, host: str
) -> None:
    assert registry.host_of(reference) == host


@pytest.mark.parametrize(
    ("engine", "outputs", "pushed"),
    [
        (CLASSIC, Outputs(push=True), ["a:1", "a:2"]),
        (BUILDX, Outputs(push=True), []),
        (CLASSIC, Outputs(), []),
        (CLASSIC, Outputs(extra_tags=("a:2", "c:production")), ["c:production"]),
        (BUILDX, Outputs(extra_tags=("a:2", "c:production")), ["c:production"]),
        (BUILDX, Outputs(push=True, extra_tags=("a:2", "c:production")), []),
    ],
)
def test_what_is_pushed_after_the_build(
    engine: Engine, outputs: Outputs, pushed: list[str]
) -> None:
    assert build_outputs.pushed_after(engine, outputs, tags=("a:1", "a:2")) == pushed


UNAUTHORIZED = "unauthorized: authentication required"
REFUSED = 'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused'


def test_a_registry_that_wants_a_login_says_docker_login_host() -> None:
    error = registry.failure(
        ["Preparing", UNAUTHORIZED], host="127.0.0.1:5001", action="push to", what="x:1"
    )

    assert error.return_code == 9
    assert str(error) == (
        "127.0.0.1:5001 refused to let the engine push to x:1: it is not logged in there, or "
        f"its login may not do that ({UNAUTHORIZED}). Run `docker login 127.0.0.1:5001` and "
        "try again; quatrain uses the engine's own login and takes no registry credentials."
    )


def test_an_unreachable_registry_says_so_and_what_to_check() -> None:
    error = registry.failure([REFUSED], host="127.0.0.1:1", action="pull", what="127.0.0.1:1/x")

    assert str(error).startswith(
        f"The registry 127.0.0.1:1 could not be reached to pull 127.0.0.1:1/x ({REFUSED})."
    )


def test_a_missing_image_says_how_to_push_one() -> None:
    said = "Error response from daemon: manifest for h:1/x:2 not found: manifest unknown"
    error = registry.failure([said], host="h:1", action="pull", what="h:1/x:2")

    assert str(error) == (
        f"h:1 has no h:1/x:2 ({said}). Check the name and tag; "
        "`quatrain build --push --tag h:1/x:2` pushes one."
    )


def test_a_build_counts_as_a_registry_failure_only_by_its_closing_error_line() -> None:
    explain = registry.explainer(["127.0.0.1:5000/shop:1"])
    missing_cache = "#5 ERROR: 127.0.0.1:5000/shop-cache:production: not found"

    assert explain([missing_cache, "ERROR: failed to solve: process did not complete"]) is None
    error = explain([missing_cache, f"ERROR: failed to push 127.0.0.1:5000/shop:1: {REFUSED}"])
    assert isinstance(error, RegistryError)
    assert "could not be reached to push to 127.0.0.1:5000/shop:1" in str(error)


# --- the command line hands these over as asked ---------------------------------------------


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[BuildRequest]:
    requests: list[BuildRequest] = []

    def build(_plan: object, _engine: object, request: BuildRequest) -> str:
        requests.append(request)
        return "x"

    monkeypatch.setattr("quatrain.__main__._engine", lambda _plan: CLASSIC)
    monkeypatch.setattr(pipeline, "build", build)
    return requests


def test_build_takes_several_tags_push_and_cache_flags(
    tmp_path: Path, built: list[BuildRequest]
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": "from flask import Flask\napp = Flask(1)"})

    code = main([
        "build", str(root), "--tag", f"{REF}:1", "-t", f"{REF}:latest", "--push",
        "--cache-from", "a", "--cache-from", "b", "--cache-to", "c",
    ])  # fmt: skip

    assert code == 0
    assert built == [
        BuildRequest(
            tag=f"{REF}:1",
            extra_tags=(f"{REF}:latest",),
            push=True,
            cache_from=("a", "b"),
            cache_to=("c",),
        )
    ]


def test_verify_from_registry_pulls_and_builds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": "from flask import Flask\napp = Flask(1)"})
    pulled: list[Mapping[str, Any]] = []
    monkeypatch.setattr("quatrain.__main__._engine", lambda _plan: CLASSIC)
    monkeypatch.setattr(pipeline, "verify_pulled", lambda _p, _e, **kw: pulled.append(kw))
    monkeypatch.setattr(pipeline, "build", lambda *_: pytest.fail("verify built an image"))

    assert main(["verify", str(root), "--from-registry", f"{REF}:1", "-e", "A=1"]) == 0
    assert pulled == [{"image": f"{REF}:1", "env": {"A": "1"}}]


@pytest.mark.parametrize(
    ("reference", "repository", "tag", "api_host"),
    [
        ("myuser/app:1", "docker.io/myuser/app", "1", "registry-1.docker.io"),
        ("python:3.12-slim", "docker.io/library/python", "3.12-slim", "registry-1.docker.io"),
        ("127.0.0.1:5000/team/shop:ci", "127.0.0.1:5000/team/shop", "ci", "127.0.0.1:5000"),
        ("localhost/shop", "localhost/shop", None, "localhost"),
        ("registry.example.org/a/b:2", "registry.example.org/a/b", "2", "registry.example.org"),
    ],
)
def test_a_reference_is_read_as_docker_reads_it(
    reference: str, repository: str, tag: str | None, api_host: str
) -> None:
    parsed = registry.parse_reference(reference)

    assert (parsed.repository, parsed.tag, parsed.api_host) == (repository, tag, api_host)


@pytest.mark.parametrize("reference", ["--help", "Shop:1", "shop:1 2", "a@b", ""])
def test_a_reference_outside_the_grammar_is_refused_before_any_engine_sees_it(
    reference: str,
) -> None:
    with pytest.raises(ConfigurationError, match="is not an image reference: expected"):
        registry.parse_reference(reference)


@pytest.mark.parametrize("port", ["0", "65536", "9" * 5000])
def test_a_registry_port_out_of_range_is_refused_by_name(port: str) -> None:
    with pytest.raises(ConfigurationError, match="a port is a number from 1 to 65535"):
        registry.parse_reference(f"127.0.0.1:{port}/team/shop:1")


def test_verify_from_registry_never_hands_a_flag_to_docker_pull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = flask_project(
        tmp_path, {"shop/__init__.py": "from flask import Flask\napp = Flask('x')\n"}
    )
    monkeypatch.setattr("quatrain.__main__._engine", lambda _plan: CLASSIC)

    assert main(["verify", str(root), "--from-registry", "--help"]) == 2
    assert "'--help' is not an image in a registry" in capsys.readouterr().err

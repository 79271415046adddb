"""Podman as the engine: what quatrain asks of `podman`, without running it."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from quatrain import cmd
from quatrain.building import registry
from quatrain.engines import (
    Engine,
    Outputs,
    binary_for,
    build,
    build_argv,
    build_env,
    connect,
    run_argv,
)
from quatrain.errors import EngineError, RegistryError

PODMAN = Engine(
    kind="podman",
    binary="/usr/bin/podman",
    client_version="4.3.1",
    server_version="4.3.1",
    buildx=False,
    env={"HOME": "/root"},
)
# `podman version --format json` of Debian bookworm's 4.3.1, as it prints it: a Client only.
VERSION_4_3 = (
    '{"Client":{"APIVersion":"4.3.1","Version":"4.3.1","GoVersion":"go1.19.8","GitCommit":"",'
    '"BuiltTime":"Thu Jan  1 00:00:00 1970","Built":0,"OsArch":"linux/amd64","Os":"linux"}}\n'
)
# `podman --remote` (Podman machine, a socket) adds the server it talks to.
VERSION_REMOTE = (
    '{"Client":{"APIVersion":"5.2.2","Version":"5.2.2","Os":"darwin"},'
    '"Server":{"APIVersion":"4.9.4","Version":"4.9.4","Os":"linux"}}\n'
)
VERSION_3_4 = '{"Client":{"APIVersion":"3.4.4","Version":"3.4.4","Os":"linux"}}\n'


def answering(
    monkeypatch: pytest.MonkeyPatch, code: int, stdout: str, stderr: str = ""
) -> list[list[str]]:
    calls: list[list[str]] = []

    def capture(
        argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True
    ) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        return subprocess.CompletedProcess(list(argv), code, stdout, stderr)

    monkeypatch.setattr(cmd, "capture", capture)
    return calls


def test_connect_reads_podmans_own_version_shape_and_asks_nothing_of_buildx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = answering(monkeypatch, 0, VERSION_4_3)

    engine = connect("/usr/bin/podman", {"HOME": "/root"}, kind="podman")

    assert engine == PODMAN
    assert calls == [["/usr/bin/podman", "version", "--format", "json"]]


def test_a_remote_podman_is_judged_by_the_server_it_builds_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answering(monkeypatch, 0, VERSION_REMOTE)

    engine = connect("podman", {}, kind="podman")

    assert (engine.client_version, engine.server_version) == ("5.2.2", "4.9.4")


def test_podman_3_is_refused_for_its_missing_cache_mounts(monkeypatch: pytest.MonkeyPatch) -> None:
    answering(monkeypatch, 0, VERSION_3_4)

    with pytest.raises(EngineError) as raised:
        connect("podman", {}, kind="podman")

    assert str(raised.value) == (
        "`podman` is Podman 3.4.4, and quatrain needs 4.0 or later: the Dockerfile's "
        "RUN --mount=type=cache needs Buildah 1.24, which Podman 4.0 brought. Upgrade Podman, "
        "or build with Docker (--engine docker)."
    )


def test_a_podman_that_cannot_answer_is_an_error_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answering(monkeypatch, 125, "", "Error: unknown flag: --format\n")

    with pytest.raises(EngineError, match=r"did not answer as Podman does \(Error: unknown flag"):
        connect("docker", {}, kind="podman")


def test_the_binary_is_the_users_choice_else_the_engines_own_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: f"/opt/bin/{name}")

    assert binary_for("podman", None) == "podman"
    assert binary_for("docker", None) == "docker"
    assert binary_for("podman", "/home/me/bin/podman") == "/home/me/bin/podman"


def test_podman_off_path_is_found_in_usr_bin_when_it_is_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    there = Path("/usr/bin/podman").is_file()

    assert binary_for("podman", None) == ("/usr/bin/podman" if there else "podman")


NO_OUTPUTS = Outputs()


def argv(outputs: Outputs = NO_OUTPUTS, *, dockerfile: Path, **extra: object) -> list[str]:
    return build_argv(
        PODMAN,
        context=Path("/src/shop"),
        dockerfile=dockerfile,
        target="production",
        tag="shop:latest",
        build_args=extra.get("build_args", {"REVISION": "abc"}),  # type: ignore[arg-type]
        network="host",
        secrets={"ca-bundle": Path("/etc/ssl/ca.pem"), "build-env": Path("/tmp/s/build-env")},
        outputs=outputs,
    )


def test_podman_builds_in_the_docker_format_with_the_rendered_ignore_rules(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    (tmp_path / "Dockerfile.dockerignore").write_text(".env\n")

    assert argv(dockerfile=dockerfile) == [
        "/usr/bin/podman", "build", "--format", "docker", "--file", str(dockerfile),
        "--ignorefile", str(tmp_path / "Dockerfile.dockerignore"),
        "--target", "production", "--tag", "shop:latest", "--build-arg", "REVISION=abc",
        "--network", "host",
        "--secret", "id=build-env,src=/tmp/s/build-env",
        "--secret", "id=ca-bundle,src=/etc/ssl/ca.pem",
        "/src/shop",
    ]  # fmt: skip


def test_a_users_own_dockerfile_leaves_the_contexts_dockerignore_to_podman(
    tmp_path: Path,
) -> None:
    built = argv(dockerfile=tmp_path / "Dockerfile")

    assert "--ignorefile" not in built
    assert "--progress=plain" not in built  # podman build has no --progress


def test_podman_builds_without_docker_buildkit_in_its_environment() -> None:
    assert build_env(PODMAN) == {"HOME": "/root"}


def test_podman_passes_extra_tags_and_its_registry_cache_repositories(tmp_path: Path) -> None:
    outputs = Outputs(
        extra_tags=("127.0.0.1:5000/shop:1.2",),
        cache_from=("127.0.0.1:5000/shop-cache",),
        cache_to=("127.0.0.1:5000/shop-cache",),
    )

    built = argv(outputs, dockerfile=tmp_path / "Dockerfile")

    assert built[-5:] == [
        "--cache-from", "127.0.0.1:5000/shop-cache",
        "--cache-to", "127.0.0.1:5000/shop-cache",
        "/src/shop",
    ]  # fmt: skip
    assert built[built.index("shop:latest") + 1 : built.index("shop:latest") + 3] == [
        "--tag",
        "127.0.0.1:5000/shop:1.2",
    ]


@pytest.mark.parametrize(
    ("outputs", "build_args", "words"),
    [
        (Outputs(builder="ci"), {}, "--builder ci chooses a buildx builder, and Podman has none"),
        (
            Outputs(cache_to=("type=registry,ref=r/c,mode=max",)),
            {},
            "Podman takes a cache as a registry repository (REGISTRY/NAME), not "
            "'type=registry,ref=r/c,mode=max'",
        ),
        (
            Outputs(cache_from=("r/c:production",)),
            {"BUILDKIT_INLINE_CACHE": "1"},
            "BUILDKIT_INLINE_CACHE asks BuildKit for an inline cache, which Podman neither",
        ),
    ],
    ids=["builder", "buildx-cache-entry", "inline-cache-arg"],
)
def test_what_podman_cannot_do_is_refused_before_anything_runs(
    tmp_path: Path, outputs: Outputs, build_args: dict[str, str], words: str
) -> None:
    with pytest.raises(EngineError) as raised:
        argv(outputs, dockerfile=tmp_path / "Dockerfile", build_args=build_args)

    assert words in str(raised.value)


def test_podman_runs_containers_with_the_same_flags_as_docker() -> None:
    settings = Path("/tmp/quatrain-run-x/settings.env")
    assert run_argv(PODMAN, "shop:latest", network="none", detach=True, env_file=settings) == [
        "/usr/bin/podman", "run", "--detach", "--network", "none", "--env-file", str(settings),
        "shop:latest",
    ]  # fmt: skip


# --- shipping: push, pull and the registry cache ----------------------------------------------

DOCKER = Engine(
    binary="/usr/bin/docker", client_version="20.10.24", server_version="20.10.24", buildx=False,
    env={},
)  # fmt: skip


def streamed(
    monkeypatch: pytest.MonkeyPatch, code: int = 0, lines: Sequence[str] = ()
) -> list[list[str]]:
    calls: list[list[str]] = []

    def stream(
        argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True
    ) -> tuple[int, list[str]]:
        calls.append(list(argv))
        return code, list(lines)

    monkeypatch.setattr(cmd, "stream", stream)
    return calls


@pytest.mark.parametrize("host", ["127.0.0.1:5000", "localhost:5000", "[::1]:5000", "localhost"])
def test_podman_pushes_and_pulls_a_loopback_registry_without_tls(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    calls = streamed(monkeypatch)

    registry.push(PODMAN, [f"{host}/shop:1"])
    registry.pull(PODMAN, f"{host}/shop:1")

    assert calls == [
        ["/usr/bin/podman", "push", "--tls-verify=false", f"{host}/shop:1"],
        ["/usr/bin/podman", "pull", "--tls-verify=false", f"{host}/shop:1"],
    ]


@pytest.mark.parametrize(
    "reference", ["registry.example.com/shop:1", "127.0.0.2:5000/shop:1", "shop:1", "ghcr.io/a/b:1"]
)
def test_podman_keeps_tls_for_every_other_host_and_docker_never_gets_the_flag(
    monkeypatch: pytest.MonkeyPatch, reference: str
) -> None:
    calls = streamed(monkeypatch)

    registry.push(PODMAN, [reference])
    registry.pull(DOCKER, "127.0.0.1:5000/shop:1")

    assert calls == [
        ["/usr/bin/podman", "push", reference],
        ["/usr/bin/docker", "pull", "127.0.0.1:5000/shop:1"],
    ]


def test_cache_ref_on_podman_is_its_layer_cache_in_the_repository_itself() -> None:
    cache = registry.cache_for(
        "127.0.0.1:5000/shop-cache", "production", buildx=False, driver="docker", kind="podman"
    )

    assert cache == registry.Cache(
        mode="podman",
        cache_from=("127.0.0.1:5000/shop-cache",),
        cache_to=("127.0.0.1:5000/shop-cache",),
    )


def test_a_podman_cache_ref_with_a_tag_is_refused_with_the_repository_to_use() -> None:
    with pytest.raises(RegistryError) as raised:
        registry.cache_for("127.0.0.1:5000/team/c:v1", "production", buildx=False,
                           driver="docker", kind="podman")  # fmt: skip

    assert "Drop the tag: --cache-ref 127.0.0.1:5000/team/c." in str(raised.value)


def test_a_loopback_cache_builds_without_tls_and_never_pulls_the_base_images(
    tmp_path: Path,
) -> None:
    outputs = registry.with_plain_http(
        PODMAN, Outputs(cache_from=("127.0.0.1:5000/c",), cache_to=("localhost:5000/c",))
    )

    built = argv(outputs, dockerfile=tmp_path / "Dockerfile")

    assert built[-7:] == [
        "--cache-from", "127.0.0.1:5000/c", "--cache-to", "localhost:5000/c",
        "--tls-verify=false", "--pull=never", "/src/shop",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("engine", "caches"),
    [
        (PODMAN, ("127.0.0.1:5000/c", "registry.example.com/c")),  # one switch for both
        (PODMAN, ()),
        (DOCKER, ("127.0.0.1:5000/c",)),
    ],
    ids=["a-remote-cache-too", "no-cache", "docker"],
)
def test_tls_stays_on_unless_podmans_every_cache_is_on_loopback(
    tmp_path: Path, engine: Engine, caches: tuple[str, ...]
) -> None:
    outputs = registry.with_plain_http(engine, Outputs(cache_from=caches))

    assert outputs.plain_http is False
    built = argv(outputs, dockerfile=tmp_path / "Dockerfile")
    assert "--tls-verify=false" not in built
    assert "--pull=never" not in built


def test_a_base_image_missing_from_the_store_says_to_pull_it_with_tls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    streamed(monkeypatch, 125, [
        "[1/3] STEP 1/9: FROM python:3.12-slim-bookworm AS staging",
        "Error: creating build container: python:3.12-slim-bookworm: image not known",
    ])  # fmt: skip
    built = argv(Outputs(plain_http=True), dockerfile=tmp_path / "Dockerfile")

    with pytest.raises(EngineError) as raised:
        build(PODMAN, built)

    assert "Podman has no python:3.12-slim-bookworm in its store" in str(raised.value)
    assert "`/usr/bin/podman pull python:3.12-slim-bookworm`" in str(raised.value)


def test_a_cache_push_podman_could_not_make_is_the_registrys_failure() -> None:
    explain = registry.explainer(["127.0.0.1:5000/shop:1"])

    error = explain([
        "--> Pushing cache 127.0.0.1:5000/shop:2cad8c8a",
        "Error: failed pushing cache to 127.0.0.1:5000/shop: pinging container registry "
        '127.0.0.1:5000: Get "https://127.0.0.1:5000/v2/": http: server gave HTTP response '
        "to HTTPS client",
    ])  # fmt: skip

    assert isinstance(error, RegistryError)
    assert "could not be reached to push to 127.0.0.1:5000/shop:1" in str(error)


def test_source_date_epoch_makes_podman_date_every_new_file_and_the_image_with_it() -> None:
    dated = dataclasses.replace(PODMAN, env={**PODMAN.env, "SOURCE_DATE_EPOCH": "1750000000"})
    found = build_argv(
        dated, context=Path("/src/shop"), dockerfile=Path("/src/shop/Dockerfile"),
        target="production", tag="shop:latest", build_args={}, network=None,
    )  # fmt: skip
    assert found[found.index("--timestamp") + 1] == "1750000000"
    assert "--timestamp" not in argv(dockerfile=Path("/src/shop/Dockerfile"))

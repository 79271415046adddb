"""Canaries: a distinct value in each secret channel at once (build-env, run settings on the
command line and in an env file), one real build and verify; then every place a secret must
never reach is searched: the image's layers, history and config, quatrain's output, inspect,
the generated files, and the engine's processes sampled while it ran. Private-source
credentials and a registry login (and the registry's stored blobs) the same. Zero hits."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from engine_support import PrivateIndex, Quatrain, django_site_new_to_the_cache
from shipping import Registry
from test_private_source import SOURCE, occurrences, private_copy

from quatrain import engines


@contextlib.contextmanager
def process_list() -> Iterator[set[str]]:
    """Every command line seen on this machine while the block runs, sampled every 20 ms."""
    seen: set[str] = set()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                with contextlib.suppress(OSError):  # the process ended meanwhile
                    seen.add(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()


def test_no_canary_reaches_the_image_the_output_inspect_the_files_or_the_engines_argv(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    project = django_site_new_to_the_cache(tmp_path, index_url)
    canary = {name: f"canary-{name}-{uuid.uuid4().hex}" for name in ("build", "run", "file")}
    env_file = tmp_path / "settings.env"
    env_file.write_text(f"CANARY_FILE={canary['file']}\n")
    # build-env from the environment, as a user keeps a secret out of their own shell history
    build_env = {"QUATRAIN_BUILD_ENV": f"CANARY_BUILD={canary['build']}"}
    tag = f"{image_tag}:canary"

    with process_list() as seen:
        results = [
            quatrain("build", str(project), "--tag", tag, extra_env=build_env),
            quatrain(
                "verify", str(project), "--image-name", f"{image_tag}-canary",
                "--run-env", f"CANARY_RUN={canary['run']}", "--env-file", str(env_file),
                extra_env=build_env,
            ),
            quatrain("inspect", str(project), extra_env=build_env),
            quatrain("inspect", "--json", str(project), extra_env=build_env),
            quatrain("init", "--stdout", "--all", str(project), extra_env=build_env),
        ]  # fmt: skip

    printed = "".join(r.stdout + r.stderr for r in results)
    # quatrain's own command line is the user's to choose; what it starts must hold no secret
    started = [line for line in seen if "-m quatrain" not in line]
    assert any(line.startswith(engine.binary) for line in started)  # the sampling saw the engine
    for value in canary.values():
        assert value not in printed
        assert [line for line in started if value in line] == []
    assert "CANARY_BUILD" in printed  # inspect names the setting it hides
    assert occurrences(engine, tag, canary["build"].encode()) == []
    assert occurrences(engine, f"{image_tag}-canary:latest", canary["run"].encode()) == []


def test_private_source_credentials_reach_no_process_argv_output_or_layer(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path,
    private_index: PrivateIndex, image_tag: str,
) -> None:  # fmt: skip
    project = private_copy(tmp_path, private_index)
    secret = private_index.password.split()[-1]  # the password's last word, quoted nowhere
    tag = f"{image_tag}:canary-private"

    with process_list() as seen:
        built = quatrain("build", str(project), "--tag", tag,
                         extra_env=private_index.credentials(SOURCE))  # fmt: skip

    started = [line for line in seen if "-m quatrain" not in line]
    assert any(line.startswith(engine.binary) for line in started)
    assert [line for line in started if secret in line] == []
    assert secret not in built.stdout + built.stderr
    assert occurrences(engine, tag, secret.encode()) == []


def test_a_registry_login_reaches_no_process_argv_output_image_or_registry_blob(
    quatrain: Quatrain, engine: engines.Engine, auth_registry: Registry,
    flask_project: Path, tmp_path: Path,
) -> None:  # fmt: skip
    config = {"DOCKER_CONFIG": str(tmp_path / "docker-config")}  # the login stays in the test
    password = str(auth_registry.password)  # made for this session: a canary
    tag = f"{auth_registry.host}/canary/shop:{uuid.uuid4().hex[:8]}"
    login = subprocess.run(
        [engine.binary, "login", auth_registry.host, "--username", str(auth_registry.username),
         "--password-stdin"],
        input=password, env={**os.environ, **config}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr

    with process_list() as seen:
        pushed = quatrain("build", str(flask_project), "--push", "-t", tag, extra_env=config)

    started = [line for line in seen if "-m quatrain" not in line]
    assert any(line.startswith(engine.binary) for line in started)
    assert [line for line in started if password in line] == []
    assert password not in pushed.stdout + pushed.stderr
    assert "SBOM attached to" in pushed.stderr  # the attachment used the login too
    assert occurrences(engine, tag, password.encode()) == []
    stored = [p for p in (auth_registry.root / "storage").rglob("*") if p.is_file()]
    assert stored  # the push reached the registry's storage
    assert [p for p in stored if password.encode() in p.read_bytes()] == []

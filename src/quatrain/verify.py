"""Prove a built image does its job: the package imports, the server answers, SIGTERM stops it.

Each check runs in a throw-away container with no network (see `engine.running`); HTTP is
probed from inside the container on its own loopback, so nothing is published on the host.
"""

from __future__ import annotations

from dataclasses import dataclass

from quatrain import cmd
from quatrain import engine as engine_module
from quatrain.engine import Engine
from quatrain.project import Project
from quatrain.spec import ServeSpec

# Runs inside the image with its own Python: polls until the server answers or time runs out.
# Any HTTP status below 500 proves the app loaded and served the request.
PROBE = """
import sys, time, urllib.error, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status = response.status
        break
    except urllib.error.HTTPError as error:
        status = error.code
        break
    except OSError as error:
        if time.monotonic() > deadline:
            sys.exit(f"no answer from {url}: {error}")
        time.sleep(0.25)
print(status)
sys.exit(0 if status < 500 else f"{url} answered HTTP {status}")
"""
ANSWER_WITHIN_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
VERIFY_PORT = 18080  # not the default, so that a server ignoring $PORT fails the check


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True, kw_only=True)
class VerifyResult:
    image: str
    target: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def verify_image(
    engine: Engine, image: str, *, target: str, project: Project, spec: ServeSpec
) -> VerifyResult:
    checks = [check_import(engine, image, project)]
    if spec.http:
        checks += check_serving(engine, image, stop_cleanly=target == "production")
    else:
        # Production's entry point is the script itself; development runs commands as given.
        arguments = ("--help",) if target == "production" else (spec.app, "--help")
        checks.append(check_command(engine, image, arguments))
    return VerifyResult(image=image, target=target, checks=tuple(checks))


def check_command(engine: Engine, image: str, arguments: tuple[str, ...]) -> Check:
    argv = engine_module.run_argv(engine, image, command=arguments, network="none")
    result = cmd.capture(argv, env=dict(engine.env), echo=True)
    shown = " ".join(arguments)
    detail = f"`docker run IMAGE {shown}` " + (
        "exits 0" if result.returncode == 0 else
        f"exits {result.returncode}: {_tail(result.stderr or result.stdout)}"
    )  # fmt: skip
    return Check(name="command", passed=result.returncode == 0, detail=detail)


def check_import(engine: Engine, image: str, project: Project) -> Check:
    if not project.import_names:
        return Check(name="import", passed=True, detail="no package to import (package-mode off)")
    statement = "; ".join(f"import {name}" for name in project.import_names)
    # Through python itself: a console-script image's entry point is the script.
    argv = engine_module.run_argv(
        engine, image, command=("-c", statement), network="none", entrypoint="python"
    )
    result = cmd.capture(argv, env=dict(engine.env), echo=True)
    detail = f"`python -c '{statement}'` " + (
        "works" if result.returncode == 0 else f"failed: {_tail(result.stderr)}"
    )
    return Check(name="import", passed=result.returncode == 0, detail=detail)


def check_serving(engine: Engine, image: str, *, stop_cleanly: bool) -> list[Check]:
    port = str(VERIFY_PORT)
    with engine_module.running(engine, image, env={"PORT": port}) as container:
        probe = engine_module.capture(
            engine, "exec", container, "python", "-c", PROBE,
            f"http://127.0.0.1:{port}/", str(ANSWER_WITHIN_SECONDS),
        )  # fmt: skip
        answered = probe.returncode == 0
        detail = (
            f"answered HTTP {probe.stdout.strip()} on $PORT={port}"
            if answered
            else f"no good answer on $PORT={port}: {_tail(probe.stderr or probe.stdout)}\n"
            f"container log:\n{_logs(engine, container)}"
        )
        checks = [Check(name="serve", passed=answered, detail=detail)]
        if stop_cleanly and answered:
            checks.append(_check_stop(engine, container))
    return checks


def _check_stop(engine: Engine, container: str) -> Check:
    engine_module.capture(engine, "stop", "--time", str(STOP_TIMEOUT_SECONDS), container)
    code = engine_module.capture(
        engine, "inspect", "--format", "{{.State.ExitCode}}", container
    ).stdout.strip()
    # 0 means the server handled SIGTERM; 137 means `docker stop` had to SIGKILL it.
    passed = code == "0"
    detail = (
        "stopped cleanly on SIGTERM (exit 0)"
        if passed
        else f"did not stop cleanly on SIGTERM (exit {code}); log:\n{_logs(engine, container)}"
    )
    return Check(name="stop", passed=passed, detail=detail)


def _logs(engine: Engine, container: str) -> str:
    result = engine_module.capture(engine, "logs", "--tail", "30", container)
    return (result.stdout + result.stderr).strip()


def _tail(text: str, lines: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])

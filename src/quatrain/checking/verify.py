"""Prove a built image does its job: the package imports, the server answers, SIGTERM stops it.

Each check runs in a throw-away container with no network (see `engine.running`); HTTP is
probed from inside the container on its own loopback, so nothing is published on the host.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from quatrain import cmd, engines
from quatrain.checking import start_failures
from quatrain.dockerfile.sbom import SBOM_PATH
from quatrain.engines import Engine
from quatrain.errors import ConfigurationError
from quatrain.log import one_line
from quatrain.reading.project import Project
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
# A worker that lives this long has got past its imports and configuration; one whose broker
# is unreachable may log errors meanwhile, but must not exit.
STAYS_UP_SECONDS = 5
LOG_LINES = 30


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
    engine: Engine,
    image: str,
    *,
    target: str,
    project: Project,
    spec: ServeSpec,
    env: Mapping[str, str] | None = None,
) -> VerifyResult:
    """`env` (the user's settings) reaches every container started here."""
    settings = dict(env or {})
    checks = [check_import(engine, image, project, env=settings)]
    production = target == "production"
    if spec.http:
        checks += check_serving(engine, image, stop_cleanly=production, env=settings)
    elif spec.worker:
        checks += check_stays_up(engine, image, stop_cleanly=production, env=settings)
    else:
        # Production's entry point is the script itself (a toolbox of several has none);
        # development runs commands as given.
        entry = production and bool(spec.production_entrypoint)
        arguments = ("--help",) if entry else (spec.app, "--help")
        checks.append(check_command(engine, image, arguments, env=settings))
    if production:
        checks += check_contents(engine, image, env=settings)
    return VerifyResult(image=image, target=target, checks=tuple(checks))


# Run in the production image as its own user: who that is, and the SBOM's distributions
# against those installed (the project, when a package, is the SBOM's root component).
_CONTENTS = """
import importlib.metadata, json, os, re
key = lambda name: re.sub(r"[-_.]+", "-", name).lower()
sbom = json.load(open(SBOM))
listed = {(key(c["name"]), c["version"]) for c in sbom["components"] if c["type"] == "library"}
root = sbom["metadata"]["component"]
if "version" in root:
    listed.add((key(root["name"]), root["version"]))
installed = {(key(d.metadata["Name"]), d.version) for d in importlib.metadata.distributions()}
print(json.dumps({"uid": os.getuid(), "missing": sorted(installed - listed),
                  "extra": sorted(listed - installed), "count": len(installed)}))
"""


def check_contents(engine: Engine, image: str, *, env: Mapping[str, str]) -> list[Check]:
    """Production runs as a user other than root, and its SBOM lists what it has installed."""
    script = _CONTENTS.replace("SBOM", repr(SBOM_PATH))
    result = _python_in(engine, image, script, env=env, echo=False)
    try:
        found = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = f"the check did not run: {_tail(result.stderr or result.stdout)}"
        return [Check(name="non-root", passed=False, detail=detail),
                Check(name="sbom", passed=False, detail=detail)]  # fmt: skip
    uid = found["uid"]
    differ = [f"not in the SBOM: {n} {v}" for n, v in found["missing"]]
    differ += [f"in the SBOM, not installed: {n} {v}" for n, v in found["extra"]]
    return [
        Check(name="non-root", passed=uid != 0, detail=f"runs as uid {uid}"),
        Check(
            name="sbom",
            passed=not differ,
            detail="; ".join(differ)
            or f"{SBOM_PATH} lists the {found['count']} distributions installed",
        ),
    ]


def check_command(
    engine: Engine, image: str, arguments: tuple[str, ...], *, env: Mapping[str, str]
) -> Check:
    with engines.settings_file(env) as env_file:
        argv = engines.run_argv(engine, image, command=arguments, env_file=env_file, network="none")
        result = cmd.capture(argv, env=dict(engine.env), echo=True)
    shown = " ".join(arguments)
    detail = f"`docker run IMAGE {shown}` " + (
        "exits 0" if result.returncode == 0 else
        f"exits {result.returncode}: {_tail(result.stderr or result.stdout)}"
    )  # fmt: skip
    return Check(name="command", passed=result.returncode == 0, detail=detail)


def _python_in(
    engine: Engine, image: str, code: str, *, env: Mapping[str, str], echo: bool
) -> subprocess.CompletedProcess[str]:
    """`python -c CODE` in a throw-away container of the image, with the user's settings and no
    network. Through python itself: a console-script image's entry point is the script."""
    with engines.settings_file(env) as env_file:
        argv = engines.run_argv(
            engine, image, command=("-c", code), env_file=env_file, network="none",
            entrypoint="python",
        )  # fmt: skip
        return cmd.capture(argv, env=dict(engine.env), echo=echo)


def check_import(engine: Engine, image: str, project: Project, *, env: Mapping[str, str]) -> Check:
    if not project.import_names:
        return Check(name="import", passed=True, detail="no package to import (package-mode off)")
    statement = "; ".join(f"import {name}" for name in project.import_names)
    result = _python_in(engine, image, statement, env=env, echo=True)
    detail = f"`python -c '{statement}'` " + (
        "works" if result.returncode == 0 else f"failed: {_tail(result.stderr)}"
    )
    return Check(name="import", passed=result.returncode == 0, detail=detail)


def check_serving(
    engine: Engine, image: str, *, stop_cleanly: bool, env: Mapping[str, str]
) -> list[Check]:
    port = str(VERIFY_PORT)
    with engines.running(engine, image, env={**env, "PORT": port}) as container:
        probe = engines.capture(
            engine, "exec", container, "python", "-c", PROBE,
            f"http://127.0.0.1:{port}/", str(ANSWER_WITHIN_SECONDS),
        )  # fmt: skip
        if probe.returncode != 0 and (exited := _exit_code(engine, container)) is not None:
            return [_exited_at_start(engine, container, exited, f"answering on $PORT={port}")]
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


def check_stays_up(
    engine: Engine, image: str, *, stop_cleanly: bool, env: Mapping[str, str]
) -> list[Check]:
    """A worker serves no port: it passes by still running after a few seconds."""
    with engines.running(engine, image, env=env) as container:
        time.sleep(STAYS_UP_SECONDS)
        exited = _exit_code(engine, container)
        if exited is not None:
            return [_exited_at_start(engine, container, exited, "its first seconds")]
        checks = [
            Check(name="stays up", passed=True, detail=f"still running after {STAYS_UP_SECONDS} s")
        ]
        if stop_cleanly:
            checks.append(_check_stop(engine, container))
    return checks


def _exit_code(engine: Engine, container: str) -> str | None:
    """None while the container runs; its exit code once it has stopped."""
    state = engines.capture(
        engine, "inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", container
    ).stdout.split()
    return state[1] if len(state) == 2 and state[0] == "false" else None


def _exited_at_start(engine: Engine, container: str, code: str, before: str) -> Check:
    logs = _logs(engine, container)
    detail = (
        f"the app exited at start (exit {code}), before {before}; its last log lines:\n"
        f"{logs}\n{start_failures.explain(logs)}"
    )
    return Check(name="start", passed=False, detail=detail)


def _check_stop(engine: Engine, container: str) -> Check:
    engines.capture(engine, "stop", "--time", str(STOP_TIMEOUT_SECONDS), container)
    code = _exit_code(engine, container) or "none: still running"
    # 0 means the process handled SIGTERM; 137 means `docker stop` had to SIGKILL it.
    passed = code == "0"
    detail = (
        "stopped cleanly on SIGTERM (exit 0)"
        if passed
        else f"did not stop cleanly on SIGTERM (exit {code}); log:\n{_logs(engine, container)}"
    )
    return Check(name="stop", passed=passed, detail=detail)


def _logs(engine: Engine, container: str) -> str:
    result = engines.capture(engine, "logs", "--tail", str(LOG_LINES), container)
    return (result.stdout + result.stderr).strip()


def _tail(text: str, lines: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def read_env_file(path: Path) -> dict[str, str]:
    """Settings for the containers verify and run start, from a file of KEY=VALUE lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        msg = f"--env-file {path} cannot be read ({error}). Point it at a KEY=VALUE text file."
        raise ConfigurationError(msg) from error
    return parse_env_lines(text, str(path))


def parse_env_lines(text: str, source: str) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and `#` comments are skipped. Nothing is evaluated: the
    value is the text after the first `=`, with one pair of matching quotes taken off."""
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier() or not key.isascii():
            # The name part at most: the rest of the line may be a secret (`export TOKEN=...`,
            # a bare token), and an error goes to terminals and CI logs.
            what = f"the name {one_line(key)[:80]!r} is no variable name" if sep else "no '='"
            msg = (
                f"{source} line {number} is not KEY=VALUE: {what} (the value is not shown). "
                "Write each setting as NAME=value (a `#` starts a comment line)."
            )
            raise ConfigurationError(msg)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values

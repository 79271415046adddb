"""How fast `quatrain dev` shows a change: edit-to-served and lock-change-to-served times for
the web framework fixtures of the tests (Flask, FastAPI, Django, Dash, Sanic, aiohttp), the
median (and range) of N of each, measured one after the other in one run on one engine.

    python bench/dev_loop.py [--repeat N] [CASE ...]      default: 5, every fixture

- edit-to-served: from a source file saved on the host (whole, as editors save) to the dev
  server answering with the change (the framework's reloader, through the bind mount; for
  aiohttp's runner, which has none, quatrain dev's restart); edits are SETTLE seconds apart;
- lock-change-to-served: from poetry.lock written on the host (a new comment in it, so that
  the dependency layer is new to BuildKit's cache) to the restarted container answering.

Needs the test bed (scripts/testbed.sh) and the tests' local index; builds with the stand-in
images on Docker. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "engine"))

import package_index
from engine_support import IMAGE_OPTIONS, docker_binary, locked_copy

from quatrain.developing import loop

# case -> (project name, edited file, the text it serves that an edit replaces, at which path)
CASES = {
    "flask-factory": ("factory-app", "src/factory_app/__init__.py", "hello from factory_app", "/"),
    "fastapi-app": ("fastapi-app", "fastapi_app/main.py", '"fastapi_app"', "/"),
    "django-site": ("mysite", "mysite/views.py", "hello from django", "/"),
    "dash-app": ("dash-app", "board/index.py", "hello from board", "/_dash-layout"),
    "sanic-app": ("sanic-app", "board/web.py", "hello from board", "/"),
    "aiohttp-app": ("aiohttp-app", "board/web.py", "hello from board", "/"),
}
POLL = 0.05
SETTLE = 2.0


def answer(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except Exception:  # noqa: BLE001 - not up, or restarting: no answer yet
        return ""


def until(condition: Callable[[], bool], seconds: float = 600) -> float:
    """Seconds until the condition holds."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            msg = f"not within {seconds} s"
            raise TimeoutError(msg)
        time.sleep(POLL)
    return time.monotonic() - start


def save(path: Path, text: str) -> None:
    """As editors save: the whole file at once, so a reloader never reads half of it."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def started_at(container: str) -> str:
    found = subprocess.run(
        [docker_binary(), "inspect", "--format", "{{.State.StartedAt}}", container],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return found.stdout.strip()


def measure(case: str, repeat: int, index_url: str, work: Path) -> tuple[list[float], list[float]]:
    name, edited_file, text, path = CASES[case]
    project = locked_copy(case, work, index_url)
    port = 20000 + uuid.uuid4().int % 20000
    env = {**os.environ, **IMAGE_OPTIONS, "QUATRAIN_DOCKER": docker_binary(),
           "QUATRAIN_NETWORK": "host"}  # fmt: skip
    log = (work / f"dev-{case}.log").open("w")  # quatrain dev's output, for a failed run
    dev = subprocess.Popen(
        [sys.executable, "-m", "quatrain", "dev", str(project), "--port", str(port),
         "--tag", f"quatrain-bench-dev:{case}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}{path}"
    container = loop.session(project=project, context=project, name=name, port=port,
                             network="host").name  # fmt: skip
    edits, locks = [], []
    try:
        until(lambda: text in answer(url))
        time.sleep(SETTLE)  # as between edits: Django's first look at the files comes later
        source = project / edited_file
        served = text
        for _ in range(repeat):
            new = text.replace(text.strip('"'), f"edited-{uuid.uuid4().hex[:8]}")
            save(source, source.read_text().replace(served, new))
            served = new
            edits.append(until(lambda new=new: new in answer(url), 120))
            # Not counted: Django's StatReloader takes its first look at the files a moment
            # after the new server answers, and misses an edit made before it (people edit
            # seconds apart).
            time.sleep(SETTLE)
        lock = project / "poetry.lock"
        for _ in range(repeat):
            before = started_at(container)
            save(lock, lock.read_text() + f"# bench {uuid.uuid4().hex}\n")
            locks.append(until(lambda before=before: started_at(container) not in ("", before)
                               and served in answer(url), 600))  # fmt: skip
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(timeout=60)
    return edits, locks


def cell(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    server, index_url = package_index.start(package_index.wheel_directory())
    print("| fixture | edit-to-served, median (range) | lock-change-to-served, median (range) |")
    print("| --- | --- | --- |")
    try:
        with tempfile.TemporaryDirectory(prefix="quatrain-bench-dev-") as tmp:
            for case in args.cases:
                edits, locks = measure(case, args.repeat, index_url, Path(tmp))
                print(f"| {case} | {cell(edits)} | {cell(locks)} |", flush=True)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()

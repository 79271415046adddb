"""The production image under the conditions platforms impose: a read-only root filesystem, an
arbitrary uid in group 0 (OpenShift), `docker stop`, and a burst of load on its loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from engine_support import docker

from quatrain import engines
from quatrain.checking.verify import PROBE

PORT = 18181
# Runs inside the container, against its own loopback: N requests over C keep-alive
# connections, bounded in count and time; prints {"ok": n, "errors": [...]} as JSON.
LOAD = """
import http.client, json, sys, threading, time
total, connections, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + 120
ok, errors, lock = [0], [], threading.Lock()
def client(count):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(count):
        if time.monotonic() > deadline:
            with lock: errors.append("deadline")
            return
        try:
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            if response.status >= 500:
                raise OSError(f"HTTP {response.status}")
            with lock: ok[0] += 1
        except Exception as error:
            with lock: errors.append(repr(error))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
share = total // connections
threads = [threading.Thread(target=client, args=(share,)) for _ in range(connections)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"ok": ok[0], "errors": errors[:10], "error_count": len(errors)}))
"""


@contextmanager
def started(engine: engines.Engine, image: str, *flags: str) -> Iterator[str]:
    container = docker(
        engine, "run", "--detach", "--network", "none", "--env", f"PORT={PORT}", *flags, image
    ).stdout.strip()
    try:
        answered = docker(
            engine, "exec", container, "python", "-c", PROBE, f"http://127.0.0.1:{PORT}/", "60",
            check=False,
        )  # fmt: skip
        assert answered.returncode == 0, logs(engine, container)
        yield container
    finally:
        docker(engine, "rm", "--force", container, check=False)


def logs(engine: engines.Engine, container: str) -> str:
    result = docker(engine, "logs", container, check=False)
    return result.stdout + result.stderr


def assert_clean_log(text: str) -> None:
    for word in ("Traceback", "Error", "error:", "Permission denied", "Read-only file system"):
        assert word not in text, text


def test_production_serves_with_a_read_only_root_filesystem_and_logs_no_error(
    engine: engines.Engine, production_image: str
) -> None:
    with started(engine, production_image, "--read-only", "--tmpfs", "/tmp") as container:
        assert_clean_log(logs(engine, container))


def test_production_serves_under_an_arbitrary_uid_in_group_0_with_home_and_data_writable(
    engine: engines.Engine, production_image: str
) -> None:
    with started(engine, production_image, "--user", "1000420000:0") as container:
        written = docker(
            engine, "exec", container, "sh", "-c",
            'touch "$HOME/x" /app/data/x && echo "$HOME" && id -u',
        )  # fmt: skip
        assert written.stdout.split() == ["/home/app", "1000420000"]
        refused = docker(engine, "exec", container, "touch", "/app/x", check=False)
        assert refused.returncode != 0  # the code is read-only for the app's user
        assert_clean_log(logs(engine, container))


def test_the_apps_user_adds_files_beside_its_code_and_changes_none_of_it(
    engine: engines.Engine, production_image: str
) -> None:
    with started(engine, production_image) as container:
        # Apps write logs and stores in their working directory (wanmark-bot's bot.log,
        # triviamx's store/): new entries there work.
        docker(engine, "exec", container, "sh", "-c", "touch app.log && mkdir store && pwd")
        for change in (
            "echo x >> pyproject.toml",  # a file of the code: root's, 0644
            "rm -f pyproject.toml",  # the sticky bit: only its owner may unlink it
            "mv pyproject.toml moved.toml",
            "touch src/x",  # the code's directories stay root's, 0755
        ):
            refused = docker(engine, "exec", container, "sh", "-c", change, check=False)
            assert refused.returncode != 0, change
        assert_clean_log(logs(engine, container))


def test_docker_stop_ends_production_by_itself_before_the_kill(
    engine: engines.Engine, production_image: str
) -> None:
    with started(engine, production_image) as container:
        docker(engine, "stop", "--time", "10", container)
        state = json.loads(
            docker(engine, "inspect", "--format", "{{json .State}}", container).stdout
        )
        # 0: gunicorn handled SIGTERM and exited; 137 would mean docker had to SIGKILL it.
        assert (state["ExitCode"], state["OOMKilled"]) == (0, False), logs(engine, container)


def test_ten_thousand_requests_on_loopback_get_no_error(
    engine: engines.Engine, production_image: str
) -> None:
    with started(engine, production_image) as container:
        result = docker(engine, "exec", container, "python", "-c", LOAD, "10000", "16", str(PORT))
        summary = json.loads(result.stdout)
        assert (summary["ok"], summary["error_count"]) == (10000, 0), summary
        assert_clean_log(logs(engine, container))

"""How gunicorn spreads wrk's connections over its workers: the tries behind bench/notes.md.

Needs the images of a partial run that kept them, on the private engine left running:
`python bench/run.py --project inventory --approach quatrain --approach article --network
local --repetitions 1 --keep-images` (start the private dockerd first, see harness/engine.py,
so that the run leaves it running). Then `python bench/worker_balance.py TRIES [CONFIG,...]
[OUT.jsonl] [PROJECT]`, one JSON line per try. Not part of the run.

Server configurations are tried interleaved, round by round, with bench/'s wrk settings.

Per try: docker run (host network, bind 127.0.0.1), first 200, 1 s settle, 2 s wrk discarded,
then wrk -t2 -c16 -d4s --timeout 5s --latency; during the measured run, established
connections per gunicorn pid (ss -tnp on the host: the container shares its network) sampled
at 1 s and 3 s, and CPU seconds per worker over the measured run (/proc/PID/stat)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

DOCKER_HOST = "unix:///run/quatrain-bench/docker.sock"
PORT = 38250
PROJECT = "inventory"
APPS = {"inventory": "inventory:create_app()", "flask-app": "coach_planner:create_app()"}
BASE = [
    "gunicorn",
    "--graceful-timeout=8",
    "--worker-tmp-dir=/dev/shm",
    "--control-socket=/dev/shm/gunicorn.ctl",
]


def configs(project: str) -> dict:
    q = f"quatrain-bench/quatrain-{project}:local"
    a = f"quatrain-bench/article-{project}:local"
    app = APPS[project]
    return {
        # WEB_CONCURRENCY=2 from the image, 4 threads: the default before --reuse-port
        "gthread-2x4": (q, [*BASE, "--threads=4", app], {}),
        "gthread-2x4-ka0": (q, [*BASE, "--threads=4", "--keep-alive=0", app], {}),
        "gthread-2x4-reuseport": (q, [*BASE, "--threads=4", "--reuse-port", app], {}),
        "gthread-4x4": (q, [*BASE, "--threads=4", app], {"WEB_CONCURRENCY": "4"}),
        "gthread-1x4": (q, [*BASE, "--threads=4", app], {"WEB_CONCURRENCY": "1"}),
        "gthread-4x4-reuseport": (
            q,
            [*BASE, "--threads=4", "--reuse-port", app],
            {"WEB_CONCURRENCY": "4"},
        ),
        "gthread-2x1": (q, [*BASE, "--worker-class=gthread", "--threads=1", app], {}),
        "sync-2": (q, [*BASE, "--worker-class=sync", app], {}),
        "sync-3": (q, [*BASE, "--worker-class=sync", app], {"WEB_CONCURRENCY": "3"}),
        "sync-4": (q, [*BASE, "--worker-class=sync", app], {"WEB_CONCURRENCY": "4"}),
        "article-1sync": (
            a,
            [
                "gunicorn",
                f"--bind 127.0.0.1:{PORT}",
                "--workers 1",
                "--threads 1",
                "--timeout 0",
                '"$APP_NAME:create_app()"',
            ],
            None,
        ),
    }


CONFIGS: dict = {}


def docker(*args: str, check: bool = True) -> str:
    env = {"DOCKER_HOST": DOCKER_HOST, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        ["docker", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if check and done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def first_200(url: str, start: float) -> float:
    while time.monotonic() - start < 60:
        try:
            with OPENER.open(url, timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("no 200: " + docker("logs", "--tail", "20", "gq-try", check=False))


def wrk(seconds: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "--latency",
            f"http://127.0.0.1:{PORT}/",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(map(int, m.groups()))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    return {"rps": rate, "errors": errors}


def conns_per_pid() -> dict[int, int]:
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{PORT} )"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    counts: dict[int, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


def gunicorn_pids() -> tuple[int | None, list[int]]:
    """Master and workers, host pids, from the process table (listening on PORT)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()[1:]]
    gun = {int(p): int(pp) for p, pp, a in rows if "gunicorn" in a and "sh -c" not in a}
    masters = [p for p, pp in gun.items() if pp not in gun]
    master = masters[0] if masters else None
    return master, sorted(p for p, pp in gun.items() if pp == master)


def cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100
    except OSError:
        return float("nan")


def one(name: str) -> dict:
    image, command, extra = CONFIGS[name]
    cname = "gq-try"
    docker("rm", "--force", cname, check=False)
    env = (
        {"PORT": str(PORT)}
        if extra is None
        else {"PORT": str(PORT), "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{PORT}", **extra}
    )
    start = time.monotonic()
    docker(
        "run",
        "--detach",
        "--name",
        cname,
        "--network",
        "host",
        *[f"--env={k}={v}" for k, v in env.items()],
        image,
        *(command or []),
    )
    try:
        startup = first_200(f"http://127.0.0.1:{PORT}/", start)
        time.sleep(1)
        wrk(2)
        _master, workers = gunicorn_pids()
        before = {p: cpu(p) for p in workers}
        samples: list[dict[int, int]] = []

        def sample() -> None:
            for delay in (1.0, 2.0):
                time.sleep(delay)
                samples.append(conns_per_pid())

        sampler = threading.Thread(target=sample)
        sampler.start()
        load = wrk(4)
        sampler.join()
        used = {p: round(cpu(p) - before[p], 2) for p in workers}
        # per worker: connections at 1 s and 3 s into the run; the master holds none
        per_worker = [[s.get(p, 0) for s in samples] for p in workers]
        return {
            "config": name,
            "startup": round(startup, 2),
            **load,
            "conns": per_worker,
            "cpu": [used[p] for p in workers],
            "other_pids": sorted({p for s in samples for p in s} - set(workers)),
        }
    finally:
        docker("rm", "--force", cname, check=False)


def busy(pattern: str = "realworld/run.py|pytest|scripts/test.sh") -> bool:
    """Other work on the machine: the test suites, which must not run while measuring."""
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return bool(found.stdout.strip())


def main() -> None:
    global CONFIGS
    tries = int(sys.argv[1])
    CONFIGS = configs(sys.argv[4] if len(sys.argv) > 4 else PROJECT)
    names = sys.argv[2].split(",") if len(sys.argv) > 2 else list(CONFIGS)
    out = Path(sys.argv[3] if len(sys.argv) > 3 else "/tmp/worker-balance.jsonl")
    for round_ in range(tries):
        for name in names:
            waited = 0
            while busy() and waited < 900:
                time.sleep(5)
                waited += 5
            busy_before = busy()
            matrix_before = busy("input_matrix.py")
            result = one(name)
            result["busy"] = busy_before or busy()
            result["waited"] = waited
            # scripts/input_matrix.py: the other heavy job seen on the machine, noted per try
            result["matrix"] = matrix_before or busy("input_matrix.py")
            result["load1"] = float(Path("/proc/loadavg").read_text().split()[0])
            result["round"] = round_
            result["project"] = sys.argv[4] if len(sys.argv) > 4 else PROJECT
            with out.open("a") as lines:
                lines.write(json.dumps(result) + "\n")
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

"""Fixed settings of the benchmark: paths, images, ports, durations and time limits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
REPO = BENCH.parent
TEMPLATES = BENCH / "templates"
DOCKER = os.environ.get("QUATRAIN_DOCKER") or "/usr/bin/docker"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "quatrain-bench"
SCRATCH = Path("/tmp/quatrain-bench")

PYTHON_VERSION = "3.11"
DEBIAN_RELEASE = "bookworm"
SLIM_BASE = f"python:{PYTHON_VERSION}-slim-{DEBIAN_RELEASE}"
FULL_BASE = f"python:{PYTHON_VERSION}-{DEBIAN_RELEASE}"
PUBLIC_INDEX = "https://pypi.org/simple/"

INDEX_PORT = 38242  # the tests' index uses 38141
APP_PORT = 38243
IMAGE_PREFIX = "quatrain-bench"
DOCKERPYZE_VERSION = "2.2.0"
ADDED_DEPENDENCY = "six>=1.16"

# Load: wrk on the host against the container's server on loopback.
WRK_THREADS = 2
WRK_CONNECTIONS = 16
WRK_SECONDS = 4
# Start-up is timed to the first response; the load starts SETTLE_SECONDS later, then a
# discarded wrk run warms the server up. A server that boots several workers answers once the
# first is up, and load sent at once stays on that worker for many seconds (seen here: 2 gthread
# workers at 2500 requests/s when wrk started at the first response, 8000-8500 a second later,
# in 4 of 4 tries each). The same for every approach; steady throughput is what is compared.
SETTLE_SECONDS = 1
WARMUP_SECONDS = 2

# Time limits (seconds) for every external command.
COLD_BUILD_TIMEOUT = 900
REBUILD_TIMEOUT = 600
PRUNE_TIMEOUT = 300
SHORT_TIMEOUT = 60
LOCK_TIMEOUT = 180
DOWNLOAD_TIMEOUT = 600
STARTUP_TIMEOUT = 60


@dataclass(frozen=True)
class Network:
    """Where the pip (and Poetry) steps of the builds get the projects' dependencies."""

    name: str
    description: str


LOCAL = Network("local", "dependencies from a local index on 127.0.0.1")
PUBLIC = Network("public", "dependencies from the public index (pypi.org, simple API)")
NETWORKS = (LOCAL, PUBLIC)

"""One repetition of one approach on one project in one network setting: cold build, serving,
code-edit rebuild, dependency rebuild."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import probes, serve
from harness.approaches import Approach, ApproachError, RunOptions
from harness.buildkit import build, image_size, layer_sizes, prune_cache
from harness.config import APP_PORT, COLD_BUILD_TIMEOUT, IMAGE_PREFIX, REBUILD_TIMEOUT, Network
from harness.projects import ProjectSpec, Variant, add_dependency, edit_source, fresh_copy


@dataclass
class Case:
    approach: Approach
    spec: ProjectSpec
    network: Network
    variant: Variant

    @property
    def tag(self) -> str:
        return f"{IMAGE_PREFIX}/{self.approach.name}-{self.spec.name}:{self.network.name}"

    def key(self) -> dict[str, str]:
        return {
            "approach": self.approach.name,
            "project": self.spec.name,
            "network": self.network.name,
        }


@dataclass
class Session:
    """What outlives one measurement: where to work, where to report progress."""

    workdir: Path
    log: Callable[[str], None] = print


def measure(case: Case, repetition: int, session: Session) -> dict[str, Any]:
    record: dict[str, Any] = {**case.key(), "repetition": repetition}
    project = fresh_copy(
        case.variant, session.workdir / case.approach.name / case.spec.name / case.network.name
    )
    try:
        dockerfile = case.approach.render(project, case.spec)
    except ApproachError as error:
        record["error"] = {"phase": "generate", "message": str(error)}
        return record
    # Pruned, and no cache used: the engine is shared, and a build of the same steps by
    # someone else between the prune and this build would otherwise feed it cached layers.
    prune_cache()
    cold = build(project, dockerfile, case.tag, timeout=COLD_BUILD_TIMEOUT, no_cache=True)
    record["cold"] = cold.as_dict()
    if not cold.ok:
        record["error"] = {"phase": "cold build", "message": cold.error}
        return record
    record["size_bytes"] = image_size(case.tag)
    record["layers"] = layer_sizes(case.tag)
    serving = serve.measure(case.tag, case.approach.run_options(case.spec, APP_PORT), APP_PORT)
    record["serve"] = serving.as_dict()
    if repetition == 1:  # the first repetition also keeps what explains the numbers
        record["dockerfile"] = dockerfile.read_text()
        record["diagnostics"] = diagnose(case)
    rate = serving.load.requests_per_second if serving.load else None
    session.log(
        f"    cold {cold.seconds:.1f} s, {record['size_bytes'] / 1e6:.0f} MB, "
        f"start-up {serving.startup_seconds or 0:.2f} s, {rate or 0:.0f} requests/s"
        + ("" if serving.ok else f", serving failed: {(serving.error or '')[-200:]}")
    )
    edit_source(project, case.spec, uuid.uuid4().hex)
    record["edit"] = build(project, dockerfile, case.tag, timeout=REBUILD_TIMEOUT).as_dict()
    add_dependency(project, case.variant)
    try:
        dockerfile = case.approach.render(project, case.spec)
    except ApproachError as error:
        record["error"] = {"phase": "generate after adding a dependency", "message": str(error)}
        return record
    record["dependency"] = build(project, dockerfile, case.tag, timeout=REBUILD_TIMEOUT).as_dict()
    session.log(
        f"    edit {record['edit']['seconds']:.1f} s, "
        f"dependency {record['dependency']['seconds']:.1f} s"
    )
    return record


def diagnose(case: Case) -> dict[str, Any]:
    """What explains the numbers: what the image's site-packages hold, and, for quatrain, the
    same image served with the article's server settings (1 sync worker, 1 thread, no
    timeout, no access log)."""
    found: dict[str, Any] = {"site_packages": probes.site_packages(case.tag)}
    if case.approach.name == "quatrain":
        article_server = RunOptions(
            {"PORT": str(APP_PORT)},
            ["gunicorn", f"--bind=127.0.0.1:{APP_PORT}", "--workers=1", "--threads=1",
             "--timeout=0", case.spec.app],
        )  # fmt: skip
        serving = serve.measure(case.tag, article_server, APP_PORT)
        found["serve_with_article_server"] = serving.as_dict()
    return found

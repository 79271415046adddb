"""quatrain's benchmark: quatrain's Dockerfile against the article's, dockerpyze's and a naive
one, on the same projects, base images, engine and machine, in one run. See bench/README.md.

    python bench/run.py           # full: 4 approaches x 2 projects x 2 networks x 3 repetitions
    python bench/run.py --quick   # 1 repetition, the example project only (both networks)
    python bench/run.py --report-only bench/results.json   # redo BENCHMARKS.md and the chart

Run it as root with a Python that has quatrain and its test extras (poetry,
poetry-plugin-export, pypiserver, waitress): `bash scripts/bench.sh [ARGS]` sets that up.
It measures on a private dockerd that it starts and stops (--shared-engine: on the
machine's engine, whose build cache it then empties before every cold build).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from harness import engine, floor, index, machine, probes, report, serve
from harness.approaches import Approach, all_approaches
from harness.buildkit import image_id, remove_run_images
from harness.config import (
    BENCH,
    FULL_BASE,
    NETWORKS,
    REPO,
    SCRATCH,
    SHORT_TIMEOUT,
    SLIM_BASE,
    Network,
)
from harness.measure import Case, Session, measure
from harness.proc import CommandError, docker
from harness.projects import PROJECTS, ProjectSpec, Variant, network_index, prepare

FULL_REPETITIONS = 3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="1 repetition, the example project only"
    )
    parser.add_argument("--repetitions", type=int, help=f"default {FULL_REPETITIONS} (1 quick)")
    parser.add_argument("--project", action="append", choices=[p.name for p in PROJECTS])
    parser.add_argument(
        "--approach", action="append", choices=["quatrain", "article", "dockerpyze", "naive"]
    )
    parser.add_argument("--network", action="append", choices=[n.name for n in NETWORKS])
    parser.add_argument(
        "--output-dir",
        type=Path,
        help=f"for results.json and chart.png (default bench/, or {SCRATCH}/"
        "quick for a partial run); BENCHMARKS.md goes to the repository root "
        "after a full run, beside the results otherwise",
    )
    parser.add_argument(
        "--shared-engine",
        action="store_true",
        help="measure on the machine's engine instead of a private dockerd (see README)",
    )
    parser.add_argument(
        "--keep-images",
        action="store_true",
        help="keep the images built (by default they are removed)",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="RESULTS_JSON",
        help="only write BENCHMARKS.md and the chart from these results",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repetitions = args.repetitions or 1
        args.project = args.project or ["flask-app"]
    args.repetitions = args.repetitions or FULL_REPETITIONS
    return args


def log(message: str, start: float = time.monotonic()) -> None:
    print(f"[{time.monotonic() - start:7.1f}s] {message}", file=sys.stderr, flush=True)


def outputs(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """results.json, chart.png and BENCHMARKS.md."""
    full = not (
        args.quick
        or args.project
        or args.approach
        or args.network
        or args.repetitions != FULL_REPETITIONS
    )
    directory = args.output_dir or (BENCH if full else SCRATCH / "quick")
    directory.mkdir(parents=True, exist_ok=True)
    markdown = directory / "BENCHMARKS.md"
    if full and not args.output_dir:
        markdown = REPO / "BENCHMARKS.md"
    return directory / "results.json", directory / "chart.png", markdown


def report_outputs(results_path: Path) -> tuple[Path, Path]:
    """chart.png beside the results; BENCHMARKS.md at the root only for the published ones."""
    published = results_path.resolve() == (BENCH / "results.json").resolve()
    markdown = REPO / "BENCHMARKS.md" if published else results_path.parent / "BENCHMARKS.md"
    return results_path.parent / "chart.png", markdown


def preflight() -> None:
    """Fail early, with what to do, when something the run needs is missing."""
    problems = []
    try:
        docker("version", timeout=SHORT_TIMEOUT)
    except (CommandError, OSError):
        problems.append("no Docker engine answers (bash scripts/testbed.sh starts one)")
    for image in (SLIM_BASE, FULL_BASE):
        try:
            image_id(image)
        except (CommandError, OSError):
            problems.append(f"base image {image} is missing (bash scripts/testbed.sh)")
    if not serve.wrk_available():
        problems.append("wrk is missing (apt-get install -y wrk)")
    # waitress: without it pypiserver falls back to wsgiref, which queues 5 connections; uv
    # opens more, and each of its installs from the local index stalled 1 s per phase.
    for module in ("quatrain", "poetry", "pypiserver", "waitress"):
        if importlib.util.find_spec(module) is None:
            problems.append(
                f"{module} is not importable by {sys.executable}: run bash scripts/bench.sh, "
                "or pip install -e '.[test]'"
            )
    if problems:
        sys.exit("bench: cannot run:\n  " + "\n  ".join(problems))


@contextmanager
def scratch() -> Iterator[Path]:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="run-", dir=SCRATCH))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def selected(args: argparse.Namespace) -> tuple[list[ProjectSpec], list[Network], list[Approach]]:
    projects = [p for p in PROJECTS if not args.project or p.name in args.project]
    networks = [n for n in NETWORKS if not args.network or n.name in args.network]
    approaches = [a for a in all_approaches() if not args.approach or a.name in args.approach]
    return projects, networks, approaches


def measure_floors(
    projects: list[ProjectSpec],
    networks: list[Network],
    variants: dict[str, dict[str, Variant]],
    context: dict[str, Any],
) -> dict[str, Any]:
    floors: dict[str, Any] = {}
    for spec in projects:
        for network in networks:
            variant = variants[spec.name][network.name]
            workdir = context["workdir"] / "floor" / spec.name / network.name
            log(f"floor: {spec.name}, {network.name}")
            attempt = partial(floor_entry, spec, variant, network, workdir, context)
            entry = engine.steady(attempt, log)
            floors.setdefault(spec.name, {})[network.name] = entry
    return floors


def floor_entry(
    spec: ProjectSpec, variant: Variant, network: Network, workdir: Path, context: dict[str, Any]
) -> dict[str, Any]:
    shutil.rmtree(workdir, ignore_errors=True)
    entry = floor.size_floor(variant, workdir / "size", context["poetry_env"])
    entry["edit"] = floor.edit_floor(
        spec,
        variant,
        network,
        network_index(network, context["index_url"]),
        workdir / "edit",
        context["repetitions"],
        context["poetry_env"],
    )
    return entry


def run_cases(
    cases: list[Case], repetitions: int, session: Session
) -> Iterator[list[dict[str, Any]]]:
    """Every case once per repetition, interleaved, so that drift hits every approach alike;
    yields the records so far after each measurement."""
    records: list[dict[str, Any]] = []
    for repetition in range(1, repetitions + 1):
        for case in cases:
            log(
                f"rep {repetition}/{repetitions}: {case.approach.name}, {case.spec.name}, "
                f"{case.network.name}"
            )
            record = engine.steady(partial(measure, case, repetition, session), log)
            if "error" in record:
                message = record["error"]["message"].strip().splitlines() or [""]
                log(f"    failed ({record['error']['phase']}): {message[-1][:160]}")
            records.append(record)
            yield records


def benchmark(args: argparse.Namespace, results_path: Path) -> dict[str, Any]:
    started = time.time()
    with ExitStack() as stack:
        address = "the machine's engine"
        if not args.shared_engine:
            address = f"a private dockerd at {stack.enter_context(engine.private(log))}"
        results = new_results(args, started, address)
        measure_all(args, results, results_path)
    results["meta"]["duration_seconds"] = round(time.time() - started, 1)
    save(results, results_path)
    return results


def new_results(args: argparse.Namespace, started: float, engine_address: str) -> dict[str, Any]:
    _, networks, approaches = selected(args)
    return {
        "meta": {
            "command": " ".join(["bash scripts/bench.sh", *sys.argv[1:]]),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
            "repetitions": args.repetitions,
            "quick": args.quick,
            "engine": engine_address,
            "machine": machine.describe(),
        },
        "networks": {n.name: n.description for n in networks},
        "approaches": {a.name: a.title for a in approaches},
    }


def save(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=1) + "\n")


def measure_all(args: argparse.Namespace, results: dict[str, Any], results_path: Path) -> None:
    projects, networks, approaches = selected(args)
    with scratch() as workdir, index.serving(index.wheel_directory()) as index_url:
        session = Session(workdir, log=log)
        poetry_env = {
            **os.environ,
            "POETRY_VIRTUALENVS_CREATE": "false",
            "POETRY_CACHE_DIR": str(workdir / "poetry-cache"),
        }
        try:
            log("locking the projects against the local index")
            variants = {
                s.name: prepare(s, index_url, workdir / "projects", poetry_env) for s in projects
            }
            context = {
                "workdir": workdir,
                "index_url": index_url,
                "poetry_env": poetry_env,
                "repetitions": args.repetitions,
            }
            results["floors"] = measure_floors(projects, networks, variants, context)
            results["probes"] = {"venv": engine.steady(probes.venv_cost, log)}
            cases = [
                Case(a, s, n, variants[s.name][n.name])
                for s in projects
                for n in networks
                for a in approaches
            ]
            for records in run_cases(cases, args.repetitions, session):
                results["runs"] = records
                save(results, results_path)
        finally:
            if not args.keep_images and engine.answers():
                remove_run_images()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.report_only:
        results_path = args.report_only
        results = json.loads(results_path.read_text())
        chart_path, markdown_path = report_outputs(results_path)
    else:
        results_path, chart_path, markdown_path = outputs(args)
        preflight()
        results = benchmark(args, results_path)
        log(f"done in {results['meta']['duration_seconds']:.0f} s; results in {results_path}")
    report.write(results, results_path, chart_path, markdown_path)
    log(f"wrote {markdown_path} and {chart_path}")


if __name__ == "__main__":
    main()

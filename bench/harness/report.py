"""BENCHMARKS.md and the chart, from results.json."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

from harness import summary
from harness.config import (
    BENCH,
    DOWNLOAD_TIMEOUT,
    SETTLE_SECONDS,
    SHORT_TIMEOUT,
    WARMUP_SECONDS,
    WRK_CONNECTIONS,
    WRK_SECONDS,
    WRK_THREADS,
)
from harness.proc import CommandError, plain_pip_env, run
from harness.targets import LABELS, MB, Check, all_checks, show

CHART_VENV = Path("/tmp") / "quatrain-bench-matplotlib"
# Measurements made beside the run (by hand, with their own method), kept with the report.
NOTES = BENCH / "notes.md"
ORDER = ("quatrain", "article", "dockerpyze", "naive")
APPROACHES = {
    "quatrain": "`quatrain init --stdout --all PROJECT --python-version 3.11 --debian-release"
    " bookworm`, as generated at the measured revision",
    "article": "the article's four stages, rewritten from the article with only what no longer"
    " works changed, each change commented: [bench/templates/article/](bench/templates/article/)",
    "dockerpyze": "dockerpyze (poetry-dockerize-plugin) from PyPI, `dockerpyze --generate`, with"
    ' `[tool.dpy] entrypoint = ["gunicorn", APP]` (the one setting a user must give it) and the'
    " .dockerignore its own build writes; built with BuildKit like the others",
    "naive": "one stage: `COPY . .`, `pip install poetry`, `poetry install`, gunicorn:"
    " [bench/templates/naive/Dockerfile](bench/templates/naive/Dockerfile)",
}


def write(results: dict[str, Any], results_path: Path, chart: Path, markdown: Path) -> None:
    cells, floors = summary.cells(results), summary.floors(results)
    checks = all_checks(results, cells, floors)
    results["summary"] = {"cells": cells, "floors": floors}
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    chart_note = draw_chart(results_path, chart)
    links = {"results": _relative(results_path, markdown.parent),
             "chart": _relative(chart, markdown.parent)}  # fmt: skip
    text = render(results, cells, floors, checks, links, chart_note)
    markdown.write_text(text + appended_sections(markdown))


# The document render() writes ends with this section; what follows it in an existing file was
# appended by the other benches (bench/second_engine.py, bench/podman.py) or by hand, and stays.
LAST_SECTION = "## Reproduce"


def appended_sections(markdown: Path) -> str:
    """The sections after render()'s last one in the existing file, or ''."""
    try:
        old = markdown.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    start = old.find(f"\n{LAST_SECTION}")
    after = old.find("\n## ", start + 1) if start != -1 else -1
    return "\n" + old[after + 1 :] if after != -1 else ""


def _relative(path: Path, start: Path) -> str:
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path)


# --- the chart ------------------------------------------------------------------------------


def draw_chart(results_path: Path, chart: Path) -> str:
    """Draw with matplotlib, from a throwaway venv when this Python lacks it; '' on success."""
    python = sys.executable if _has_matplotlib(sys.executable) else _chart_python()
    try:
        run([python, str(BENCH / "chart.py"), str(results_path), str(chart)],
            timeout=SHORT_TIMEOUT)  # fmt: skip
    except CommandError as error:
        return f"(the chart could not be drawn: {error})"
    return ""


def _has_matplotlib(python: str) -> bool:
    if not Path(python).exists():
        return False
    probe = subprocess.run(
        [python, "-c", "import matplotlib"], capture_output=True, check=False, timeout=60
    )
    return probe.returncode == 0


def _chart_python() -> str:
    python = CHART_VENV / "bin" / "python"
    if not _has_matplotlib(str(python)):
        venv.create(CHART_VENV, with_pip=True, clear=True)
        run([str(CHART_VENV / "bin" / "pip"), "install", "--quiet", "matplotlib"],
            env=plain_pip_env(), timeout=DOWNLOAD_TIMEOUT)  # fmt: skip
    return str(python)


# --- the markdown ---------------------------------------------------------------------------


def render(
    results: dict[str, Any],
    cells: summary.Cells,
    floors: dict[str, Any],
    checks: list[Check],
    links: dict[str, str],
    chart_note: str,
) -> str:
    meta = results["meta"]
    parts = [
        "# Benchmarks",
        _intro(meta, links["results"]),
        "## Headline: quatrain against the article's Dockerfile",
        _headline(cells),
        f"![cold build, code-edit rebuild and image size]({links['chart']}) {chart_note}",
        "## Targets (issue 5)",
        _digest(checks),
        _targets(checks),
        "## Where quatrain misses, and why",
        _misses(checks),
        "## Notes" if NOTES.exists() else "",
        NOTES.read_text() if NOTES.exists() else "",
        "## All results",
        _all_results(cells, floors),
        "## Spread: lowest and highest of the repetitions",
        _spread(cells),
        "## Where the time goes (median seconds per kind of build step, BuildKit's own times)",
        _time_by_kind(cells),
        "## Failures",
        _failures(cells),
        "## Floors and probes",
        _floors(floors, results.get("probes", {})),
        "## What was compared, and how",
        _method(results),
        "## Machine and versions",
        _machine(meta),
        "## Reproduce",
        _reproduce(meta),
    ]
    return "\n\n".join(part.strip() for part in parts if part.strip()) + "\n"


def _intro(meta: dict[str, Any], results: str) -> str:
    minutes = meta.get("duration_seconds", 0) / 60
    return (
        f"Generated by `bench/run.py` from [{results}]({results}), a run of"
        f" {minutes:.1f} minutes started {meta['started']} ({meta['repetitions']} repetition(s)"
        " of every measurement; medians). One machine, one engine, one run: compare the ratios,"
        " not the absolute times with other machines. The machine (2 cores) was shared with"
        " other developers' test runs, so single numbers are noisy; medians and ratios less so."
    )


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None or reference == 0:
        return "n/a"
    return f"{value / reference:.2f}x"


def _headline(cells: summary.Cells) -> str:
    header = "| project | network | " + " | ".join(LABELS[m] for m in summary.METRICS) + " |"
    lines = [header, "|" + " --- |" * (2 + len(summary.METRICS))]
    for project, networks in cells.items():
        for network, row in networks.items():
            mine, article = row.get("quatrain", {}), row.get("article", {})
            ratios = [_ratio(mine.get(m), article.get(m)) for m in summary.METRICS]
            lines.append(f"| {project} | {network} | " + " | ".join(ratios) + " |")
    return (
        "quatrain's median divided by the article's, same project, same network setting, same"
        " run (below 1 is better, except requests/s).\n\n" + "\n".join(lines)
    )


def _targets(checks: list[Check]) -> str:
    lines = ["| target | project | network | quatrain | met |", "| --- | --- | --- | --- | --- |"]
    marks = {True: "yes", False: "**no**", None: "n/a"}
    for check in checks:
        lines.append(
            f"| {check.target} | {check.project} | {check.network} | {check.value} |"
            f" {marks[check.met]} |"
        )
    met = sum(1 for c in checks if c.met)
    return f"All {len(checks)} checks, {met} met:\n\n" + "\n".join(lines)


def _digest(checks: list[Check]) -> str:
    """Each target once: met in how many of the project x network cells."""
    tally: dict[str, list[bool]] = {}
    for check in checks:
        if check.met is not None:
            tally.setdefault(check.target, []).append(check.met)
    groups: dict[str, list[str]] = {"everywhere": [], "in some cells": [], "nowhere": []}
    for target, results in tally.items():
        key = "everywhere" if all(results) else "nowhere" if not any(results) else "in some cells"
        groups[key].append(f"{target} ({sum(results)}/{len(results)})")
    return "\n".join(
        f"- Met {key}: " + ("; ".join(items) or "none") + "." for key, items in groups.items()
    )


def _misses(checks: list[Check]) -> str:
    missed = [c for c in checks if c.met is False]
    if not missed:
        return "None in this run."
    return "\n".join(
        f"- **{c.target}** ({c.project}, {c.network}): {c.value}. {c.why}" for c in missed
    )


def _cell_text(metric: str, value: float | None, reference: float | None) -> str:
    if value is None:
        return "failed"
    text = show(metric, value)
    return text if reference is None else f"{text} ({_ratio(value, reference)})"


def _all_results(cells: summary.Cells, floors: dict[str, Any]) -> str:
    blocks = [
        "Medians; in brackets, the ratio to the article's Dockerfile. Floors: the slim base"
        " plus the locked runtime dependencies (image), and one wheel build plus one copied"
        " layer (code-edit rebuild)."
    ]
    for project, networks in cells.items():
        for network, row in networks.items():
            header = "| approach | " + " | ".join(LABELS[m] for m in summary.METRICS)
            header += " | load errors |"
            lines = [header, "|" + " --- |" * (len(summary.METRICS) + 2)]
            article = row.get("article", {})
            for approach in [a for a in ORDER if a in row]:
                cell = row[approach]
                texts = [_cell_text(m, cell[m], article.get(m)) for m in summary.METRICS]
                extra = f" | {cell['load_errors']} |"
                lines.append(f"| {approach} | " + " | ".join(texts) + extra)
            floor = floors.get(project, {}).get(network)
            if floor:
                lines.append(
                    f"| *floor* | | {show('edit', floor['edit'])} | | {show('size', floor['size'])}"
                    " | | | |"
                )
            blocks.append(f"### {project}, {network} index\n\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def _spread(cells: summary.Cells) -> str:
    metrics = ("cold", "edit", "dependency", "startup", "rps")
    header = "| project | network | approach | " + " | ".join(LABELS[m] for m in metrics) + " |"
    lines = [header, "|" + " --- |" * (3 + len(metrics))]
    for project, networks in cells.items():
        for network, row in networks.items():
            for approach in [a for a in ORDER if a in row]:
                spans = [_span(m, row[approach]["range"].get(m)) for m in metrics]
                lines.append(f"| {project} | {network} | {approach} | " + " | ".join(spans) + " |")
    return (
        "The machine was shared, so requests/s in particular moved with other people's load;"
        " every repetition is in the results.\n\n" + "\n".join(lines)
    )


def _span(metric: str, bounds: list[float] | None) -> str:
    if bounds is None:
        return "n/a"
    low, high = (show(metric, value) for value in bounds)
    return low if low == high else f"{low} to {high}"


def _time_by_kind(cells: summary.Cells) -> str:
    lines = ["| project | network | approach | build | steps |", "| --- | --- | --- | --- | --- |"]
    for project, networks in cells.items():
        for network, row in networks.items():
            for approach in [a for a in ORDER if a in row]:
                for phase in summary.PHASES:
                    kinds = row[approach]["time_by_kind"].get(phase, {})
                    ranked = sorted(kinds.items(), key=lambda kv: -kv[1])
                    text = ", ".join(f"{k} {v:.1f}" for k, v in ranked) or "n/a"
                    lines.append(
                        f"| {project} | {network} | {approach} | {LABELS[phase]} | {text} |"
                    )
    return (
        "Steps that ran (not cached), grouped by what they do; steps of different stages can"
        " run in parallel, so a row can add up to more than the wall time.\n\n" + "\n".join(lines)
    )


def _failures(cells: summary.Cells) -> str:
    lines = []
    for project, networks in cells.items():
        for network, row in networks.items():
            for approach, cell in row.items():
                for failure in cell["failures"]:
                    message = " ".join(failure.split())[:600]
                    lines.append(f"- {approach}, {project}, {network}: `{message}`")
    return "\n".join(lines) or "None: every approach built and served every project."


def _floors(floors: dict[str, Any], probes: dict[str, Any]) -> str:
    lines = [
        "| project | network | slim base | + runtime site-packages | = image floor |"
        " code-edit rebuild floor |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for project, networks in floors.items():
        for network, floor in networks.items():
            lines.append(
                f"| {project} | {network} | {floor['base'] / MB:.0f} MB |"
                f" {floor['site_packages'] / MB:.1f} MB | {floor['size'] / MB:.0f} MB |"
                f" {show('edit', floor['edit'])} |"
            )
    venv_probe = probes.get("venv")
    if venv_probe:
        seeds = ", ".join(
            f"{name} {size / MB:.1f} MB"
            for name, size in sorted(venv_probe["seed_bytes"].items(), key=lambda kv: -kv[1])
            if size > 100_000
        )
        lines.append(
            f"\nProbe: `python -m venv` in the slim base took {venv_probe['with_pip_seconds']:.2f}"
            f" s with pip (ensurepip) and {venv_probe['without_pip_seconds']:.2f} s with"
            f" `--without-pip`; ensurepip puts {seeds} into the venv."
        )
    return "\n".join(lines)


def _method(results: dict[str, Any]) -> str:
    approaches = "\n".join(f"- **{name}**: {APPROACHES[name]}." for name in ORDER
                           if name in results.get("approaches", {}))  # fmt: skip
    networks = "\n".join(f"- **{name}**: {text}." for name, text in results["networks"].items())
    wrk = f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s"
    engine = results["meta"].get("engine", "the machine's engine")
    return f"""Approaches, all on the same stand-in base images (`python:3.11-slim-bookworm`,
and `python:3.11-bookworm` where the approach asks for the full image):

{approaches}

Projects: `examples/flask-app` (Flask, `create_app()` factory) and
`bench/projects/inventory` (Flask with SQLAlchemy, pydantic, PyYAML and requests: compiled
extensions from manylinux wheels). Copies are locked against a local pypiserver index on
127.0.0.1 that serves the wheels of `bench/index-requirements.txt`.

Network settings, every measurement in both:

{networks}

For the public setting the copies' Poetry source and lock name PyPI's simple index instead of
the local one (same versions, files and hashes; the lock's content hash refreshed), so pip
*and* Poetry (through the simple API, as a `legacy` source) fetch the dependencies from
pypi.org. Installing Poetry itself (every approach does it in its Dockerfile) always comes
from pypi.org.

Per approach, project and network, each repetition: empty the build cache (`docker builder
prune --all --force`, base images kept) and build the production image with `--no-cache`
(cold), all on {engine}{_engine_note(engine)}; its size
(`docker image inspect`); `docker run` it with the host network and its server bound to
127.0.0.1 (the approach's own command and settings, only the address changed), time to the
first HTTP 200 polled every 20 ms; {SETTLE_SECONDS} s later a {WARMUP_SECONDS} s wrk run, discarded,
then `{wrk}`; append a unique line to the package's `__init__.py` and rebuild (code edit);
copy in the project with one more dependency locked (`poetry add --lock six`) and rebuild
(dependency). Build times are wall times of `docker build`; the per-step times are
BuildKit's (`--progress=plain`). See [bench/README.md](bench/README.md)."""


def _engine_note(engine: str) -> str:
    if "private" not in engine:
        return ""
    return (
        " (the machine's dockerd binary with its own data root and cache, so that other"
        " people's concurrent builds can neither share steps with a cold build nor refill"
        " its cache)"
    )


def _machine(meta: dict[str, Any]) -> str:
    machine = meta["machine"]
    bases = "; ".join(
        f"`{image}` {int(facts.get('size_bytes', 0)) / MB:.0f} MB"
        f"{' (local stand-in)' if facts.get('stand_in') == 'true' else ''}"
        for image, facts in machine["base_images"].items()
    )
    return "\n".join([
        f"- {machine['os']}, kernel {machine['kernel']}, {machine['cpu']}, {machine['cores']}"
        f" cores, {machine['memory_gib']} GiB",
        f"- Docker Engine {machine['docker_engine']} ({machine['storage_driver']}), client"
        f" {machine['docker_client']}, BuildKit via DOCKER_BUILDKIT=1; measured on"
        f" {meta.get('engine', 'the machine engine')}",
        f"- base images: {bases}",
        f"- {machine['quatrain']} at {machine['quatrain_git']}; host Python"
        f" {machine['python_host']}, {machine['poetry_host']}",
        f"- dockerpyze {machine['dockerpyze']}; {machine['wrk']}",
    ])  # fmt: skip


def _reproduce(meta: dict[str, Any]) -> str:
    command = meta["command"].strip()
    return f"""From the repository root, `bash scripts/bench.sh` makes the machine ready (engine
and base images as for the tests, wrk, a venv with quatrain and its test extras) and runs
what this run ran, which was:

```sh
{command}
```

It writes bench/results.json, bench/chart.png and BENCHMARKS.md. `python bench/run.py --quick`
(1 repetition, the example only) writes to /tmp/quatrain-bench/quick instead, and
`python bench/run.py --report-only bench/results.json` redoes this file and the chart."""

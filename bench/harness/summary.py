"""From the raw records to medians per approach, project and network, and to the time each
kind of build step takes (from BuildKit's per-step times)."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

PHASES = ("cold", "edit", "dependency")
METRICS = ("cold", "edit", "dependency", "size", "startup", "rps")
HIGHER_IS_BETTER = {"rps"}

Cells = dict[str, dict[str, dict[str, dict[str, Any]]]]  # project -> network -> approach -> cell


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _range(values: Iterable[float | None]) -> list[float] | None:
    present = [v for v in values if v is not None]
    return [min(present), max(present)] if present else None


def metric_values(record: dict[str, Any]) -> dict[str, float | None]:
    serve = record.get("serve") or {}
    load = serve.get("load") or {}
    values: dict[str, float | None] = {
        phase: record[phase]["seconds"] if record.get(phase, {}).get("ok") else None
        for phase in PHASES
    }
    values["size"] = record.get("size_bytes")
    values["startup"] = serve.get("startup_seconds")
    values["rps"] = load.get("requests_per_second")
    return values


def classify(title: str) -> str:
    """What a build step does, for adding up where the time goes."""
    rules = (
        (r"^exporting to image", "export the image"),
        (r"apt-get|Acquire::", "apt-get"),  # dockerpyze's apt step starts with its apt config
        (r"install \"?poetry==.*poetry install", "install Poetry, then the dependencies"),
        (r"install \"?poetry==", "install Poetry"),
        (r"poetry build|build_wheel", "build the wheel"),
        (r"poetry export", "export requirements"),
        (r"pip install .*\.whl.*--constraint", "install the wheel and the dependencies"),
        (r"pip install .*\.whl", "install the wheel"),
        (r"poetry install|--require-hashes|--requirement", "install the dependencies"),
        (r"\] COPY ", "copy files"),
    )
    for pattern, kind in rules:
        if re.search(pattern, title):
            return kind
    return "other steps"


def time_by_kind(build: dict[str, Any]) -> dict[str, float]:
    kinds: dict[str, float] = defaultdict(float)
    for step in build.get("steps", []):
        if not step["cached"]:
            kinds[classify(step["title"])] += step["seconds"]
    return dict(kinds)


def _median_kinds(builds: list[dict[str, Any]]) -> dict[str, float]:
    per_build = [time_by_kind(b) for b in builds if b.get("ok")]
    kinds = {kind for entry in per_build for kind in entry}
    medians = {kind: median(entry.get(kind, 0.0) for entry in per_build) for kind in kinds}
    return {kind: round(value, 2) for kind, value in medians.items() if value}


def cell(records: list[dict[str, Any]]) -> dict[str, Any]:
    values = [metric_values(r) for r in records]
    loads = [((r.get("serve") or {}).get("load") or {}) for r in records]
    result: dict[str, Any] = {m: median(v[m] for v in values) for m in METRICS}
    result["range"] = {m: _range(v[m] for v in values) for m in METRICS}
    result["samples"] = sum(1 for r in records if "error" not in r)
    result["load_errors"] = sum(load.get("errors", 0) for load in loads)
    result["failures"] = sorted({_failure(r) for r in records if "error" in r})
    result["time_by_kind"] = {p: _median_kinds([r[p] for r in records if p in r]) for p in PHASES}
    return result


def _failure(record: dict[str, Any]) -> str:
    error = record["error"]
    return f"{error['phase']}: {error['message']}"


def cells(results: dict[str, Any]) -> Cells:
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in results.get("runs", []):
        grouped[(record["project"], record["network"], record["approach"])].append(record)
    table: Cells = {}
    for (project, network, approach), records in grouped.items():
        table.setdefault(project, {}).setdefault(network, {})[approach] = cell(records)
    return table


def floors(results: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for project, networks in results.get("floors", {}).items():
        for network, entry in networks.items():
            edits = [e["seconds"] for e in entry["edit"]["edits"] if e["ok"]]
            table.setdefault(project, {})[network] = {
                "size": entry["floor_bytes"],
                "base": entry["base_bytes"],
                "site_packages": entry["site_packages_bytes"],
                "edit": median(edits),
                "edit_time_by_kind": _median_kinds(entry["edit"]["edits"]),
            }
    return table


def first_record(results: dict[str, Any], approach: str, project: str, network: str) -> Any:
    """The first repetition's record (the one with the Dockerfile and the diagnostics)."""
    for record in results.get("runs", []):
        if (record["approach"], record["project"], record["network"]) == (
            approach, project, network,
        ) and record.get("repetition") == 1:  # fmt: skip
            return record
    return None

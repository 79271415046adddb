"""The targets of issue 5 for quatrain, checked against one run, each miss with its cause."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.summary import HIGHER_IS_BETTER, METRICS, Cells, first_record

MB = 1e6
LABELS = {
    "cold": "cold build",
    "edit": "code-edit rebuild",
    "dependency": "dependency rebuild",
    "size": "production image",
    "startup": "start-up",
    "rps": "requests/s",
}


@dataclass
class Check:
    target: str
    project: str
    network: str
    value: str  # what quatrain did, e.g. "0.45x (0.9 s vs 2.1 s)"
    met: bool | None  # None: not measurable in this run
    why: str = ""  # for a miss: what costs the time or the bytes


def show(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric == "size":
        return f"{value / MB:.0f} MB"
    if metric == "rps":
        return f"{value:.0f}/s"
    if metric == "startup":
        return f"{value:.2f} s"
    return f"{value:.1f} s"


def kinds(cell: dict[str, Any], phase: str, top: int = 4) -> str:
    """'install Poetry 8.2 s, build the wheel 0.4 s, ...', the slowest kinds of step first."""
    ranked = sorted(cell["time_by_kind"].get(phase, {}).items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in ranked) or "no step data"


@dataclass
class Context:
    results: dict[str, Any]
    cells: Cells
    floors: dict[str, dict[str, dict[str, Any]]]
    project: str
    network: str

    def cell(self, approach: str) -> dict[str, Any] | None:
        return self.cells.get(self.project, {}).get(self.network, {}).get(approach)

    def floor(self) -> dict[str, Any] | None:
        return self.floors.get(self.project, {}).get(self.network)

    def record(self, approach: str) -> Any:
        return first_record(self.results, approach, self.project, self.network)

    def repetition_rates(self, approach: str) -> list[float]:
        """Requests/s of each repetition, in order (those that served)."""
        return [
            run["serve"]["load"]["requests_per_second"]
            for run in self.results["runs"]
            if (run["approach"], run["project"], run["network"])
            == (approach, self.project, self.network)
            and (run.get("serve") or {}).get("load")
        ]


def ratio_check(ctx: Context, target: str, metric: str, bound: float, other: str) -> Check:
    mine, theirs = ctx.cell("quatrain"), ctx.cell(other)
    a = mine.get(metric) if mine else None
    b = theirs.get(metric) if theirs else None
    if a is None or b is None:
        return Check(target, ctx.project, ctx.network, "n/a", None)
    ratio = a / b
    met = ratio >= bound if metric in HIGHER_IS_BETTER else ratio <= bound
    value = f"{ratio:.2f}x ({show(metric, a)} vs {show(metric, b)})"
    return Check(target, ctx.project, ctx.network, value, met)


def floor_check(ctx: Context, target: str, metric: str, bound: float) -> Check:
    mine, floor = ctx.cell("quatrain"), ctx.floor()
    a = mine.get(metric) if mine else None
    b = floor.get(metric) if floor else None
    if a is None or b is None:
        return Check(target, ctx.project, ctx.network, "n/a", None)
    ratio = a / b
    value = f"{ratio:.2f}x ({show(metric, a)} vs floor {show(metric, b)})"
    return Check(target, ctx.project, ctx.network, value, ratio <= bound)


def dockerpyze_check(ctx: Context, metric: str) -> Check:
    target = f"better than dockerpyze: {LABELS[metric]}"
    theirs = ctx.cell("dockerpyze")
    if theirs is not None and theirs.get(metric) is None and theirs["failures"]:
        return Check(target, ctx.project, ctx.network, "dockerpyze failed", True)
    return ratio_check(ctx, target, metric, 1.0, "dockerpyze")


def checks(ctx: Context) -> list[Check]:
    edit_bound = 0.25 if ctx.network == "public" else 0.7
    found = [
        ratio_check(ctx, "cold build ≤ 0.5x article", "cold", 0.5, "article"),
        ratio_check(ctx, f"code-edit rebuild ≤ {edit_bound}x article", "edit", edit_bound,
                    "article"),
        floor_check(ctx, "code-edit rebuild ≤ 2x floor", "edit", 2.0),
        ratio_check(ctx, "production image ≤ 0.4x article", "size", 0.4, "article"),
        floor_check(ctx, "production image ≤ 1.1x floor", "size", 1.1),
        ratio_check(ctx, "requests/s ≥ 1.8x article", "rps", 1.8, "article"),
        *(dockerpyze_check(ctx, metric) for metric in METRICS),
    ]  # fmt: skip
    for check in found:
        if check.met is False:
            check.why = explain(ctx, check)
    return found


def all_checks(results: dict[str, Any], cells: Cells, floors: Any) -> list[Check]:
    found = []
    for project, networks in cells.items():
        for network in networks:
            found += checks(Context(results, cells, floors, project, network))
    return found


# --- why a target was missed ----------------------------------------------------------------


def explain(ctx: Context, check: Check) -> str:
    metric = next(m for m in METRICS if LABELS[m] in check.target)
    if "floor" in check.target:
        return _size_floor(ctx) if metric == "size" else _edit_floor(ctx)
    other = "dockerpyze" if "dockerpyze" in check.target else "article"
    mine, theirs = _pair(ctx, other)
    if metric == "size":
        text = f"quatrain {show('size', mine['size'])}, {other} {show('size', theirs['size'])}."
        return (
            text
            + _extra_site_packages(ctx)
            + _extra_site_packages(ctx, other)
            + _locked_bytes(ctx, other)
        )
    if metric == "rps":
        return _rps(ctx, other)
    if metric == "startup":
        return (
            f"quatrain {show('startup', mine['startup'])}, {other}"
            f" {show('startup', theirs['startup'])} (from `docker run` to the first HTTP 200)."
        )
    text = f"quatrain's steps: {kinds(mine, metric)}; {other}'s: {kinds(theirs, metric)}."
    return text + (_venv_note(ctx) if metric == "cold" else "")


def _pair(ctx: Context, other: str) -> tuple[dict[str, Any], dict[str, Any]]:
    mine, theirs = ctx.cell("quatrain"), ctx.cell(other)
    if mine is None or theirs is None:
        message = f"no results for quatrain or {other} on {ctx.project}, {ctx.network}"
        raise LookupError(message)
    return mine, theirs


def _with_floor(ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    mine, floor = ctx.cell("quatrain"), ctx.floor()
    if mine is None or floor is None:
        message = f"no results for quatrain or the floor on {ctx.project}, {ctx.network}"
        raise LookupError(message)
    return mine, floor


def _venv_note(ctx: Context) -> str:
    record = ctx.record("quatrain")
    venv = ctx.results.get("probes", {}).get("venv")
    if not record or not venv:
        return ""
    dockerfile = record.get("dockerfile", "")
    count = dockerfile.count("-m venv") - dockerfile.count("--without-pip")
    return (
        f" quatrain's Dockerfile runs `python -m venv` with pip {count} time(s); in this run one"
        f" took {venv['with_pip_seconds']:.1f} s with pip and {venv['without_pip_seconds']:.2f} s"
        " without (--without-pip)."
    )


def _edit_floor(ctx: Context) -> str:
    mine, floor = _with_floor(ctx)
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in floor["edit_time_by_kind"].items())
    return (
        f"quatrain's rebuild re-runs: {kinds(mine, 'edit')}; the floor's: {steps or 'n/a'}."
        " The rest of either wall time is BuildKit's own (context, cache checks, export)."
    )


def _size_floor(ctx: Context) -> str:
    mine, floor = _with_floor(ctx)
    over = (mine["size"] - floor["size"]) / MB
    return f"{over:.1f} MB above the floor." + _extra_site_packages(ctx)


def _extra_site_packages(ctx: Context, approach: str = "quatrain") -> str:
    """The entries of the approach's site-packages that the floor's (the locked runtime
    dependencies alone) does not have."""
    record = ctx.record(approach)
    floor = ctx.results.get("floors", {}).get(ctx.project, {}).get(ctx.network, {})
    if not record or "diagnostics" not in record or not floor:
        return ""
    wanted = set(floor["site_packages"])
    extra = {
        path.rsplit("/", 1)[-1]: size
        for path, size in record["diagnostics"]["site_packages"].items()
        if path.rsplit("/", 1)[-1] not in wanted
    }
    ranked = sorted(extra.items(), key=lambda kv: -kv[1])
    listed = ", ".join(f"{name} {size / MB:.1f} MB" for name, size in ranked[:6] if size > 50_000)
    total = sum(extra.values()) / MB
    return (
        f" {approach}'s site-packages hold {total:.1f} MB that the locked runtime dependencies"
        f" do not: {listed or 'nothing large'}."
    )


def _locked_bytes(ctx: Context, approach: str) -> str:
    """How much the locked packages themselves take in an image, against pip's install of them
    for the floor (pip compiles bytecode; so does quatrain)."""
    record = ctx.record(approach)
    floor = ctx.results.get("floors", {}).get(ctx.project, {}).get(ctx.network, {})
    if not record or "diagnostics" not in record or not floor:
        return ""
    theirs = {p.rsplit("/", 1)[-1]: n for p, n in record["diagnostics"]["site_packages"].items()}
    wanted = {p.rsplit("/", 1)[-1]: n for p, n in floor["site_packages"].items()}
    held = sum(theirs.get(name, 0) for name in wanted) / MB
    pip = sum(wanted.values()) / MB
    if held >= 0.95 * pip:
        return ""
    mine, theirs_cell = _pair(ctx, approach)
    return (
        f" The locked packages themselves take {held:.1f} MB in {approach}'s image against"
        f" {pip:.1f} MB as pip installs them, compiled bytecode included; its start-up is"
        f" {show('startup', theirs_cell['startup'])} against quatrain's"
        f" {show('startup', mine['startup'])}."
    )


def _rps(ctx: Context, other: str) -> str:
    mine, theirs = _pair(ctx, other)
    record = ctx.record("quatrain")
    text = f"quatrain {show('rps', mine['rps'])}, {other} {show('rps', theirs['rps'])}."
    rates = ctx.repetition_rates("quatrain")
    if len(rates) > 1:
        listed = ", ".join(show("rps", rate) for rate in rates)
        text += f" quatrain's repetitions: {listed}."
        if max(rates) > 2 * min(rates):
            text += (
                " Two modes, the same image: that points at how the load is shared between"
                " quatrain's gthread workers (a keep-alive connection stays with the worker that"
                " accepted it, and wrk opens all of its connections at once), not at the image."
            )
    diagnostic = (record or {}).get("diagnostics", {}).get("serve_with_article_server", {})
    if diagnostic.get("load"):
        rate = diagnostic["load"]["requests_per_second"]
        text += (
            f" quatrain's own image served with the article's server settings (1 sync worker,"
            f" 1 thread) in the first repetition: {rate:.0f}/s."
        )
    cores = ctx.results["meta"]["machine"].get("cores")
    return text + f" wrk and the server share this machine's {cores} cores."

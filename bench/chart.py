"""Draw bench/chart.png from bench/results.json: cold build, code-edit rebuild and production
image size of every approach, per project and network setting, with the floors marked.

    python bench/chart.py bench/results.json bench/chart.png

Needs only matplotlib (bench/run.py runs it from a throwaway venv when needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ORDER = ("quatrain", "article", "dockerpyze", "naive")
COLOURS = {"quatrain": "#2b7bba", "article": "#d9822b", "dockerpyze": "#8e6bbf", "naive": "#888888"}
PANELS = (
    ("cold", "cold build (s)", 1.0, None),
    ("edit", "rebuild after a one-line code edit (s)", 1.0, "edit"),
    ("size", "production image (MB)", 1e-6, "size"),
)


def groups(cells: dict[str, Any]) -> list[tuple[str, str]]:
    return [(project, network) for project, networks in cells.items() for network in networks]


def draw_panel(axis: Any, summary: dict[str, Any], metric: str, scale: float, floor: Any) -> None:
    cells, floors = summary["cells"], summary["floors"]
    keys = groups(cells)
    approaches = [a for a in ORDER if any(a in cells[p][n] for p, n in keys)]
    width = 0.8 / len(approaches)
    for index, approach in enumerate(approaches):
        values = [(cells[p][n].get(approach) or {}).get(metric) for p, n in keys]
        positions = [i + (index - (len(approaches) - 1) / 2) * width for i in range(len(keys))]
        heights = [v * scale if v is not None else 0 for v in values]
        bars = axis.bar(positions, heights, width, label=approach, color=COLOURS[approach])
        for bar, value in zip(bars, values, strict=True):
            label = (
                "failed"
                if value is None
                else f"{value * scale:.1f}"
                if scale == 1
                else f"{value * scale:.0f}"
            )
            axis.annotate(
                label,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    if floor:
        for i, (p, n) in enumerate(keys):
            value = floors.get(p, {}).get(n, {}).get(floor)
            if value is not None:
                axis.hlines(
                    value * scale,
                    i - 0.45,
                    i + 0.45,
                    colors="black",
                    linestyles="dashed",
                    label="floor" if i == 0 else None,
                )
    axis.set_xticks(range(len(keys)), [f"{p}\n{n} index" for p, n in keys])


def main() -> None:
    results = json.loads(Path(sys.argv[1]).read_text())
    figure, axes = plt.subplots(1, len(PANELS), figsize=(6 * len(PANELS), 4.8))
    for axis, (metric, title, scale, floor) in zip(axes, PANELS, strict=True):
        draw_panel(axis, results["summary"], metric, scale, floor)
        axis.set_title(title)
        axis.grid(axis="y", alpha=0.3)
    handles, labels = axes[1].get_legend_handles_labels()  # the one with every entry
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    meta = results["meta"]
    figure.suptitle(
        f"quatrain benchmark, {meta['started']}: medians of {meta['repetitions']}"
        " repetition(s); lower is better"
    )
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    figure.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()

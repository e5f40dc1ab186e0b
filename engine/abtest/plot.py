"""PNG charts of a report: rate with interval per variant, and the day x hour heatmap."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: servers and CI have no display

import matplotlib.pyplot as plt

from engine.abtest.report import DOW, Report


def write_png(rep: Report, path: Path) -> Path:
    """Write the report's two charts side by side to a PNG file."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), width_ratios=[1, 2])
    names = [v.variant for v in rep.variants]
    rates = [v.rate for v in rep.variants]
    if rep.metric == "revenue":
        left.bar(names, [r / 100 for r in rates], color="#4c72b0")
        left.set_ylabel("revenue per send (yuan)")
    else:
        lows = [v.rate - v.rate_ci[0] for v in rep.variants]
        highs = [v.rate_ci[1] - v.rate for v in rep.variants]
        colors = ["#999999"] + ["#4c72b0"] * (len(names) - 1)
        left.bar(names, rates, yerr=[lows, highs], capsize=6, color=colors)
        left.set_ylabel(f"{rep.metric} rate (95% Wilson interval)")
        left.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    left.set_title(f"{rep.experiment}: {rep.metric} by variant")

    hours = sorted({c.hour for c in rep.heatmap}) or [0]
    grid = [[float("nan")] * len(hours) for _ in DOW]
    for cell in rep.heatmap:
        grid[DOW.index(cell.dow)][hours.index(cell.hour)] = cell.rate
    image = right.imshow(grid, aspect="auto", cmap="viridis")
    right.set_xticks(range(len(hours)), [f"{h:02d}" for h in hours])
    right.set_yticks(range(len(DOW)), list(DOW))
    for cell in rep.heatmap:
        if cell.small:  # too few sends or events to trust: marked, not hidden
            right.text(
                hours.index(cell.hour),
                DOW.index(cell.dow),
                "·",
                ha="center",
                va="center",
                color="white",
            )
    right.set_title(f"{rep.metric} by send day x hour (Beijing; · = too few to trust)")
    fig.colorbar(image, ax=right)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

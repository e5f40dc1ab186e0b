"""PNG charts of a report: rate with interval per variant, and the day x hour heatmap.

Titles and labels are Chinese, like the /ab page; they need a CJK font (Debian's
fonts-noto-cjk, which CI installs); without one matplotlib draws empty boxes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: servers and CI have no display

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from engine.abtest.decision import METRIC_ZH
from engine.abtest.report import DOW, Report

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]  # fmt: skip
DOW_ZH = {"Sun": "周日", "Mon": "周一", "Tue": "周二", "Wed": "周三", "Thu": "周四",
          "Fri": "周五", "Sat": "周六"}  # fmt: skip


def titles(rep: Report) -> tuple[str, str]:
    """Return the two chart titles (Chinese)."""
    name = METRIC_ZH.get(rep.metric, rep.metric)
    left = f"{rep.experiment}：各组{name}"
    if rep.metric != "revenue":
        left += "（95% Wilson 区间）"
    right = f"{name}：按发送日 × 小时（北京时间；· = 样本太少）"
    return left, right


def figure(rep: Report) -> Figure:
    """Draw the report's two charts side by side and return the figure."""
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": CJK_FONTS,
                         "axes.unicode_minus": False}):  # fmt: skip
        return _draw(rep)


def _draw(rep: Report) -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), width_ratios=[1, 2])
    left_title, right_title = titles(rep)
    names = [v.variant for v in rep.variants]
    rates = [v.rate for v in rep.variants]
    if rep.metric == "revenue":
        left.bar(names, [r / 100 for r in rates], color="#4c72b0")
        left.set_ylabel("每条收入（元）")
    else:
        lows = [v.rate - v.rate_ci[0] for v in rep.variants]
        highs = [v.rate_ci[1] - v.rate for v in rep.variants]
        colors = ["#999999"] + ["#4c72b0"] * (len(names) - 1)
        left.bar(names, rates, yerr=[lows, highs], capsize=6, color=colors)
        left.set_ylabel(METRIC_ZH.get(rep.metric, rep.metric))
        left.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    left.set_title(left_title)

    hours = sorted({c.hour for c in rep.heatmap}) or [0]
    grid = [[float("nan")] * len(hours) for _ in DOW]
    for cell in rep.heatmap:
        grid[DOW.index(cell.dow)][hours.index(cell.hour)] = cell.rate
    image = right.imshow(grid, aspect="auto", cmap="viridis")
    right.set_xticks(range(len(hours)), [f"{h:02d}" for h in hours])
    right.set_yticks(range(len(DOW)), [DOW_ZH[d] for d in DOW])
    right.set_xlabel("发送时刻（时）")
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
    right.set_title(right_title)
    fig.colorbar(image, ax=right)
    fig.tight_layout()
    return fig


def write_png(rep: Report, path: Path) -> Path:
    """Write the report's two charts side by side to a PNG file."""
    fig = figure(rep)
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": CJK_FONTS}):
        fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

"""xinshi ab ...: ingest send events, report an experiment, make a demo. Thin: parse, call, render.

Exit codes: 0 ok, 1 a file could not be ingested (the others were), 2 usage error (unknown
experiment or metric, no store).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from engine.usage import usage_error

if TYPE_CHECKING:
    from engine.abtest.report import Report

# The statistics stack (DuckDB, SciPy) loads only when an `ab` command runs, so that
# `xinshi check` and the server start fast.

ab_app = typer.Typer(
    help="A/B analysis of send events (DuckDB store in $XINSHI_DATA, default ./data).",
    no_args_is_help=True,
)

DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Data directory (default: $XINSHI_DATA or ./data).")
]


WeightsOpt = Annotated[
    str | None,
    typer.Option(
        "--weights",
        help="Planned split, e.g. control=0.9,treat=0.1: the SRM check tests against it.",
    ),
]


def _weights(text: str | None) -> dict[str, float] | None:
    from engine.abtest.store import WeightsError, parse_weights

    if text is None:
        return None
    try:
        return parse_weights(text)
    except WeightsError as exc:
        raise usage_error(f"--weights: {exc}") from None


@ab_app.command("ingest")
def ingest_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="CSV, JSONL or Parquet files, or directories.")
    ],
    data: DataOpt = None,
    weights: WeightsOpt = None,
) -> None:
    """Add events from files; a file seen before, or with any bad row, adds nothing."""
    from engine.abtest.ingest import IngestError, expand, experiments_in, ingest_file
    from engine.abtest.store import connect, format_weights, set_weights

    planned = _weights(weights)
    con = connect(data)
    failed = 0
    touched: set[str] = set()
    try:
        for path in expand(files):  # one bad file never stops the others
            try:
                res = ingest_file(con, path)
            except IngestError as exc:
                failed += 1
                sys.stderr.write(f"{exc}\n")
                continue
            if res.already_ingested:
                print(f"{res.path}: already ingested ({res.rows} rows); nothing added")
            else:
                print(f"{res.path}: {res.rows} rows, {res.added} new events added")
            touched.update(experiments_in(con, res.file_id))
        if planned is not None:
            for name in sorted(touched):
                set_weights(con, name, planned)
                print(f"{name}: planned split {format_weights(planned)} stored")
    finally:
        con.close()
    if failed:
        raise typer.Exit(1)


@ab_app.command("report")
def report_cmd(
    experiment: Annotated[str, typer.Argument(help="Experiment name (see 'xinshi ab list').")],
    metric: Annotated[str, typer.Option(help="click | conversion | delivery | revenue")] = "click",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write PNG charts here.")] = None,
    planned: Annotated[
        int | None, typer.Option("--planned", help="Planned sends per arm (peeking guard).")
    ] = None,
    data: DataOpt = None,
    weights: WeightsOpt = None,
    guardrails: Annotated[
        str | None,
        typer.Option(
            "--guardrails",
            help="How much worse a guardrail may get, e.g. opt_out=0.05pp,complaint=10% "
            "(default opt_out=0.05pp,complaint=0.01pp).",
        ),
    ] = None,
) -> None:
    """Which variant wins, by how much, how sure, is the split broken, which segments and hours.

    The split is checked against --weights, else the split stored by 'ingest --weights',
    else an equal split.
    """
    from engine.abtest.report import METRICS, report
    from engine.abtest.store import StoreError, connect, data_dir, experiments

    if metric not in METRICS:
        raise usage_error(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    planned_split = _weights(weights)
    from engine.abtest.scorecard import MarginError, parse_margins

    try:
        margins = parse_margins(guardrails)
    except MarginError as exc:
        raise usage_error(f"--guardrails: {exc}") from None
    try:
        con = connect(data, read_only=True)
    except StoreError as exc:
        raise usage_error(str(exc)) from None
    try:
        known = experiments(con)
        if experiment not in known:
            raise usage_error(
                f"no experiment {experiment!r} in {data_dir(data)}; "
                f"known: {', '.join(known) or 'none'}"
            )
        rep = report(
            con, experiment, metric, planned_per_arm=planned, weights=planned_split,
            margins=margins,
        )  # fmt: skip
    finally:
        con.close()
    if plot is not None:
        from engine.abtest.plot import write_png  # matplotlib only when asked for

        write_png(rep, plot)
    if as_json:
        sys.stdout.write(orjson.dumps(rep.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render(Console(), rep)
        if plot is not None:
            print(f"charts written to {plot}")


@ab_app.command("plan")
def plan_cmd(
    baseline: Annotated[
        str, typer.Option("--baseline", help="Control's expected rate: 0.03 or 3%.")
    ],
    mde: Annotated[
        str,
        typer.Option("--mde", help="Smallest effect to detect: 10% (relative) or 0.3pp."),
    ],
    weights: WeightsOpt = None,
    daily: Annotated[
        int | None, typer.Option("--daily", help="Sends a day, to give the duration.")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    power: Annotated[float, typer.Option(help="Chance to detect the effect if it is real.")] = 0.8,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """How many sends (and days) a test needs to see the effect: plan it before it runs."""
    from engine.abtest.plan import PlanError, parse_mde, parse_rate, plan

    split = _weights(weights)
    try:
        p = parse_rate(baseline, "--baseline")
        result = plan(p, parse_mde(mde, p), split, daily, alpha, power)
    except PlanError as exc:
        raise usage_error(str(exc)) from None
    if as_json:
        sys.stdout.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    print(
        f"baseline {result.baseline:.2%} -> {result.target:.2%} "
        f"({result.relative_lift:+.1%} relative), two-sided alpha {result.alpha:g}, "
        f"power {result.power:.0%}"
    )
    for arm in result.arms:
        print(f"  {arm.variant}: {arm.sends:,} sends ({arm.share:.0%} of traffic)")
    print(f"total: {result.total:,} sends")
    if result.days is not None and result.daily is not None:
        print(f"at {result.daily:,} sends a day: {result.days} day(s)")


@ab_app.command("list")
def list_cmd(data: DataOpt = None) -> None:
    """List the experiments in the store."""
    from engine.abtest.store import StoreError, connect, experiments

    try:
        con = connect(data, read_only=True)
    except StoreError as exc:
        raise usage_error(str(exc)) from None
    try:
        for name in experiments(con):
            print(name)
    finally:
        con.close()


@ab_app.command("demo")
def demo_cmd(
    data: DataOpt = None,
    recipients: Annotated[int, typer.Option(help="Messages to generate.")] = 150_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Generate a 3-variant experiment (known winner, segment and afternoon effects); ingest it."""
    from engine.abtest.demo import DEMO_EXPERIMENT, write_demo
    from engine.abtest.ingest import ingest_file
    from engine.abtest.store import connect, data_dir

    path = data_dir(data) / "inbox" / f"{DEMO_EXPERIMENT}-{seed}-{recipients}.parquet"
    events = write_demo(path, DEMO_EXPERIMENT, recipients, seed)
    con = connect(data)
    try:
        res = ingest_file(con, path)
    finally:
        con.close()
    print(f"wrote {events} events to {path}; {res.added} new events added")
    print(f"next: xinshi ab report {DEMO_EXPERIMENT} [--metric conversion] [--plot ab.png]")


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x:+.2%}" if signed else f"{x:.2%}"


def render(console: Console, rep: Report) -> None:
    """Print the report as rich tables."""
    from engine.abtest.store import format_weights

    console.rule(f"[bold]{rep.experiment}[/] — metric: {rep.metric} (control: {rep.control})")
    if rep.orphans["total"]:
        console.print(f"orphans (events without a send, left out): {rep.orphans['total']}")
    for w in rep.warnings:
        console.print(f"[bold yellow]! {w}[/]")
    revenue = rep.metric == "revenue"
    arms = Table(title="Variants")
    for col in (
        "variant",
        "sent",
        "delivered",
        "clicked",
        "converted",
        "revenue ¥",
        rep.metric,
        "95% CI",
    ):
        arms.add_column(col, justify="right" if col != "variant" else "left")
    for v in rep.variants:
        rate = f"{v.rate / 100:.3f} ¥" if revenue else _pct(v.rate)
        ci = "—" if revenue else f"{_pct(v.rate_ci[0])} – {_pct(v.rate_ci[1])}"
        arms.add_row(
            v.variant, str(v.sent), str(v.delivered), str(v.clicked), str(v.converted),
            f"{v.revenue_fen / 100:,.2f}", rate, ci,
        )  # fmt: skip
    console.print(arms)
    comp = Table(title=f"Against {rep.control}")
    for col in (
        "variant",
        "difference (95% CI)",
        "lift (95% CI)",
        "p",
        "p Holm",
        "P(beat)",
        "test",
    ):
        comp.add_column(col)
    for c in rep.comparisons:
        if revenue:
            diff = f"{c.diff / 100:+.3f} ¥ ({c.diff_ci[0] / 100:+.3f}, {c.diff_ci[1] / 100:+.3f})"
        else:
            diff = f"{_pct(c.diff, True)} ({_pct(c.diff_ci[0], True)}, {_pct(c.diff_ci[1], True)})"
        lift = "—"
        if c.lift is not None and c.lift_ci is not None:
            lift = f"{c.lift:+.1%} ({c.lift_ci[0]:+.1%}, {c.lift_ci[1]:+.1%}) {c.lift_method}"
        comp.add_row(
            c.variant, diff, lift, f"{c.p_value:.3g}", f"{c.p_holm:.3g}",
            f"{c.prob_beat_control:.1%}", c.test,
        )  # fmt: skip
    console.print(comp)
    for c in rep.comparisons:
        console.print(f"• {c.verdict}")
        for note in c.notes:
            console.print(f"  [dim]{note}[/]")
    if rep.prior:
        console.print(f"Bayesian prior: {rep.prior['statement']}")
    srm = rep.srm
    plan = "planned " + format_weights(rep.weights) if rep.weights else "equal split"
    console.print(
        f"SRM check ({plan}): p = {srm['p_value']:.3g} ({srm['level']})"
        + (" [bold red]BROKEN SPLIT[/]" if srm["flagged"] else "")
    )
    if rep.best_hours:
        best = ", ".join(
            f"{h['hour']:02d}:00 ({_pct(h['rate']) if not revenue else h['rate']})"
            for h in rep.best_hours
        )
        console.print(f"Best send hours: {best}")
    seg = Table(title="Segments: strongest effects (BH-adjusted)")
    for col in ("segment", "variant", "sent", rep.metric, "lift vs control", "p (BH)"):
        seg.add_column(col)
    tested = [s for s in rep.segments if s.p_bh is not None and not s.small]
    for s in sorted(tested, key=lambda s: s.p_bh or 1.0)[:8]:
        rate = f"{s.rate / 100:.3f} ¥" if revenue else _pct(s.rate)
        seg.add_row(
            f"{s.dimension}={s.value}", s.variant, str(s.sent), rate,
            "—" if s.lift is None else f"{s.lift:+.1%}", f"{s.p_bh:.3g}",
        )  # fmt: skip
    console.print(seg)
    if rep.scorecard is not None:
        render_scorecard(console, rep)
    few = [f"{s.dimension}={s.value} ({s.variant})" for s in rep.segments if s.too_few]
    if few:
        console.print(f"Too few to compare (n <= 1 in an arm): {', '.join(few[:10])}")


def render_scorecard(console: Console, rep: Report) -> None:
    """Print every goal metric (corrected together) and the guardrails."""
    card = rep.scorecard
    if card is None:
        return
    goals = Table(title="All goal metrics (Holm over metrics x variants)")
    for col in ("metric", "variant", "control", "variant rate", "difference", "p", "p Holm"):
        goals.add_column(col)
    for m in card.metrics:
        if m.metric == "revenue":
            rates = (f"{m.control_rate / 100:.3f} ¥", f"{m.variant_rate / 100:.3f} ¥")
            diff = f"{m.diff / 100:+.3f} ¥"
        else:
            rates = (_pct(m.control_rate), _pct(m.variant_rate))
            diff = _pct(m.diff, True)
        goals.add_row(m.metric, m.variant, *rates, diff, f"{m.p_value:.3g}", f"{m.p_holm:.3g}")
    console.print(goals)
    guard = Table(title="Guardrails (non-inferiority: may not get worse by the margin)")
    for col in (
        "guardrail",
        "variant",
        "control",
        "variant rate",
        "upper bound",
        "margin",
        "status",
    ):
        guard.add_column(col)
    for g in card.guardrails:
        upper = "—" if g.status == "not_measured" else _pct(g.upper, True)
        guard.add_row(
            g.metric, g.variant, _pct(g.control_rate), _pct(g.variant_rate), upper,
            f"{g.margin} (+{g.margin_abs:.3%})", g.status,
        )  # fmt: skip
    console.print(guard)
    console.print(f"[dim]{card.correction}[/]")

"""xinshi model train|simulate and xinshi variants: thin commands over engine.score."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.message import Message, MessageError, MessageIn
from engine.ruleset import RuleSet, RulesetError, load_ruleset
from engine.score import ModelError, check_scored, load_model
from engine.score.model import MODEL_FILE, EngagementModel
from engine.score.ranking import rank_by_type
from engine.usage import usage_error
from engine.verdict import Verdict

model_app = typer.Typer(
    help="Engagement model: train on events or the simulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_VERDICT_STYLE = {"allow": "bold green", "review": "bold yellow", "block": "bold red"}
# The table speaks as the check page does (--json keeps the English names)
_VERDICT_ZH = {"allow": "通过", "review": "需人工复核", "block": "拦截"}
_TYPE_ZH = {"marketing": "营销", "notification": "通知", "verification": "验证码"}


@model_app.command("train")
def train_cmd(
    events: Annotated[
        Path | None,
        typer.Option(help="Events export (JSONL or Parquet). Default: the simulator."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory for engagement.json and CARD.md.")] = Path(
        "models"
    ),
    campaigns: Annotated[int, typer.Option(help="Simulated campaigns (no --events).")] = 400,
    seed: Annotated[int, typer.Option(help="Random seed (simulation and split).")] = 0,
    c: Annotated[float, typer.Option("--C", help="Inverse L2 strength.")] = 1.0,
) -> None:
    """Train, evaluate on held-out campaigns, write the model and its card."""
    from engine.score.card import render_card
    from engine.score.events import EventsError, load_events
    from engine.score.simulate import simulate
    from engine.score.train import train

    if events is not None:
        try:
            cells = load_events(events)
        except EventsError as exc:
            raise usage_error(str(exc)) from None
        result = train(cells, trained_on="events", source=str(events), C=c, seed=seed)
    else:
        sim = simulate(campaigns=campaigns, seed=seed)
        source = (
            f"simulator (engine/score/simulate.py): {campaigns} campaigns × 4 drafts × "
            f"2,000 randomised sends, seed {seed}, copy space {sim.config['copy_space']}"
        )
        result = train(
            sim.cells,
            trained_on="simulated",
            source=source,
            truth=sim.variants,
            sim=sim,
            C=c,
            seed=seed,
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / MODEL_FILE).write_bytes(
        orjson.dumps(result.model.to_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    )
    (out / "CARD.md").write_text(render_card(result), encoding="utf-8")
    h = result.metrics
    line = (
        f"model {result.model.version} ({result.model.trained_on}) -> {out / MODEL_FILE}\n"
        f"held out {h['campaigns']} campaigns: AUC {h['auc']:.3f}, log loss {h['log_loss']:.4f} "
        f"(base {h['base_log_loss']:.4f}), Brier {h['brier']:.4f}, ECE {h['ece']:.4f}"
    )
    if "pairwise_accuracy" in h:
        line += f", within-campaign pairs {h['pairwise_accuracy']:.1%}"
    typer.echo(line)


@model_app.command("simulate")
def simulate_cmd(
    out: Annotated[Path, typer.Argument(help="JSONL file to write (aggregated events).")],
    campaigns: Annotated[int, typer.Option(help="Campaigns.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write simulated events in the documented export format (to try retraining)."""
    from engine.score.events import write_jsonl
    from engine.score.simulate import cells_to_rows, simulate

    sim = simulate(campaigns=campaigns, seed=seed)
    write_jsonl(cells_to_rows(sim.cells), out)
    typer.echo(f"{len(sim.cells)} event rows ({len(sim.variants)} drafts) -> {out}")


def read_drafts(
    path: Path, type_: str | None, industry: str | None, send_at: str | None
) -> list[Message]:
    """Drafts from .jsonl (message objects), .csv (a 'text' column) or .txt (one per line)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise usage_error(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise usage_error(f"{path}: not valid UTF-8. Save the file as UTF-8") from None
    defaults: dict[str, Any] = {"type": type_, "industry": industry, "send_at": send_at}
    rows: list[tuple[int, dict[str, Any]]] = []
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        for i, line in enumerate(raw.splitlines(), start=1):
            if line.strip():
                try:
                    data = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise usage_error(f"{path}:{i}: not valid JSON ({exc})") from None
                if not isinstance(data, dict):
                    raise usage_error(
                        f'{path}:{i}: each line must be an object like {{"text": "..."}}'
                    )
                rows.append((i, data))
    elif suffix == ".csv":
        reader = csv.DictReader(io.StringIO(raw))
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise usage_error(f"{path}:1: the CSV needs a header with a 'text' column")
        rows = [
            (i, {k: v for k, v in r.items() if k and v not in (None, "")})
            for i, r in enumerate(reader, start=2)
        ]
    else:
        rows = [(i, {"text": t}) for i, t in enumerate(raw.splitlines(), start=1) if t.strip()]
    messages: list[Message] = []
    for i, data in rows:
        merged = {**{k: v for k, v in defaults.items() if v is not None}, **data}
        merged.setdefault("id", f"#{len(messages) + 1}")
        try:
            messages.append(MessageIn.model_validate(merged).to_message())
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            what = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
            raise usage_error(f"{path}:{i}: {field}: {what}") from None
        except MessageError as exc:
            raise usage_error(f"{path}:{i}: {exc.field}: {exc.message}") from None
    if not messages:
        raise usage_error(f"{path}: no drafts found")
    return messages


def rank(
    messages: list[Message], ruleset: RuleSet, model: EngagementModel, price: float
) -> list[dict[str, Any]]:
    """Check and score each draft; rows grouped by type, best first, ranked among drafts of
    their type, the best compliant one of each type marked (as the playground page)."""
    rows = []
    for m in messages:
        v: Verdict = check_scored(m, ruleset, model)
        assert v.score is not None
        rows.append(
            {
                "id": m.id,
                "type": m.type.value,
                "text": m.text,
                "score": v.score["score"],
                "verdict": v.verdict.value,
                "findings": [f.rule_id for f in v.findings],
                "segments": v.segments,
                "cost_per_10k": round(v.segments * price * 10_000, 2),
                "reasons": v.score["reasons"],
                "suggestions": v.score["suggestions"][:1],
                "best": False,
            }
        )
    places = rank_by_type(
        [(m.type.value, r["score"], r["verdict"]) for m, r in zip(messages, rows, strict=True)]
    )
    for r, place in zip(rows, places, strict=True):
        r.update(rank=place.rank, rank_of=place.of, best=place.best)
    types = list(dict.fromkeys(r["type"] for r in rows))  # types in order of first appearance
    rows.sort(key=lambda r: (types.index(r["type"]), r["rank"]))
    return rows


def variants_cmd(
    file: Annotated[Path, typer.Argument(help="Drafts: .jsonl, .csv (text column) or .txt.")],
    price: Annotated[
        float, typer.Option(help="Price per billed segment, in yuan (e.g. 0.045).")
    ] = 0.045,
    type_: Annotated[
        str | None, typer.Option("--type", help="Default type for drafts without one.")
    ] = None,
    industry: Annotated[str | None, typer.Option(help="Default industry.")] = None,
    send_at: Annotated[
        str | None, typer.Option("--send-at", help="Default send time (ISO 8601).")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model file (default: shipped).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Rank drafts by predicted click rate, with verdict, segments and cost; mark the best."""
    if price < 0:
        raise usage_error("--price must be >= 0 (yuan per segment, e.g. 0.045)")
    try:
        rs = load_ruleset(rules)
        mdl = load_model(model)
    except (RulesetError, ModelError) as exc:
        raise usage_error(str(exc)) from None
    rows = rank(read_drafts(file, type_, industry, send_at), rs, mdl, price)
    if as_json:
        for r in rows:
            sys.stdout.write(orjson.dumps(r).decode() + "\n")
    else:
        _render(rows, mdl, price)
    raise typer.Exit(0 if any(r["best"] for r in rows) else 1)


def _render(rows: list[dict[str, Any]], model: EngagementModel, price: float) -> None:
    from engine.cli.render import emit, wrapped

    console = Console()  # the terminal's width ($COLUMNS respected); long cells fold
    basis = (
        "模拟数据训练，仅用于比较草稿" if model.trained_on == "simulated" else "基于历史发送数据"
    )
    table = Table(
        title=f"{len(rows)} 条草稿 · 预计点击率（{basis}）· 单价 ¥{price}/条 · 模型 {model.version}"
    )
    for col in ("", "编号", "类型", "排名", "点击率", "结论", "条数", "¥/万条"):
        table.add_column(col, no_wrap=True)
    table.add_column("规则", overflow="fold", ratio=1)  # the findings: one rule id per line
    table.add_column("草稿", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(
            "★" if r["best"] else "",
            str(r["id"]),
            _TYPE_ZH.get(r["type"], r["type"]),
            f"{r['rank']}/{r['rank_of']}",
            f"{r['score'] * 100:.1f}%",
            Text(_VERDICT_ZH[r["verdict"]], style=_VERDICT_STYLE[r["verdict"]]),
            str(r["segments"]),
            f"{r['cost_per_10k']:.0f}",
            "\n".join(r["findings"]) or "-",
            r["text"],
        )
    console.print(table)
    bests = [r for r in rows if r["best"]]
    if not bests:
        console.print("没有合规草稿：每条草稿都被拦截，请先修正上面的问题。")
        return
    for best in bests:  # one per message type: a notice is no alternative to a promotion
        kind = _TYPE_ZH.get(best["type"], best["type"])
        console.print(f"★ 最佳合规{kind}草稿：{best['id']}")
        for reason in best["reasons"][:4]:
            emit(console, wrapped(Text("  · "), Text(reason["text"]), console.width))
        for s in best["suggestions"]:
            line = Text(f"{s['edit']}：{s['text']}（预计 {s['score'] * 100:.1f}%）")
            emit(console, wrapped(Text("  → "), line, console.width))

"""xinshi dispatch campaigns / resume: the complaint kill switch from the command line (thin).

Registered on the ``dispatch`` group by engine.cli.dispatch; the engine is
engine.dispatch.campaigns, the thresholds rules/dispatch/complaints.yaml.
"""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from engine.dispatch.backend import DatabaseUrlError
from engine.dispatch.campaigns import (
    CampaignError,
    KillSwitch,
    held_without_campaign_total,
    list_campaigns,
    resume,
)
from engine.dispatch.complaints import ComplaintRulesError, load_policy
from engine.dispatch.config import DispatchSettings
from engine.dispatch.events import EventWriter
from engine.dispatch.holds import list_scopes
from engine.dispatch.optout import load_optout_words
from engine.dispatch.outbox import Outbox
from engine.message import BEIJING
from engine.usage import usage_error

DataOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Outbox and events directory (default: $XINSHI_DATA_DIR)."),
]
_TIMES = ("paused_at", "resumed_at", "at")


def _outbox(data_dir: Path | None) -> Outbox:
    try:
        return Outbox(DispatchSettings.from_env(data_dir).outbox_target)
    except (ValueError, DatabaseUrlError) as exc:
        raise usage_error(str(exc)) from None


def _print(data: dict[str, Any]) -> None:
    items = [*data.get("campaigns", []), *data.get("paused_scopes", [])] or [data]
    items += [h for c in data.get("campaigns", []) if isinstance(c, dict)
              for h in c.get("holds", [])]  # fmt: skip
    for key in _TIMES:  # people read Beijing wall-clock time, not epoch seconds
        for item in (i for i in items if isinstance(i, dict)):
            if isinstance(item.get(key), int | float):
                item[key] = datetime.fromtimestamp(item[key], BEIJING).isoformat("T", "seconds")
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def killswitch(outbox: Outbox, settings: DispatchSettings, events: EventWriter) -> KillSwitch:
    """The worker's kill switch (provider blacklist answers); a bad rules file is exit 2."""
    try:
        policy = load_policy()
    except ComplaintRulesError as exc:
        raise usage_error(f"complaint rules:\n{exc}") from None
    return KillSwitch(outbox, policy, load_optout_words(), events, settings.data_dir / "alerts")


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no $USER and no passwd entry (a container): say so
        return "unknown"


def campaigns_cmd(data_dir: DataOpt = None) -> None:
    """List campaigns: paused first, with the signal, figure and threshold that paused them,
    when, what holds them now (`held_by`: their own complaint, opt_out or provider_code
    signals, `signature S`, `template T`; `holds`: each with its figure), how many messages
    are held, and the last resume (who, when, why); then the signatures and templates whose
    rate tripped (`paused_scopes`, each with the held messages of no campaign it holds,
    `held_without_campaign`) and the total of those (`held_without_campaign`)."""
    outbox = _outbox(data_dir)
    _print({"campaigns": list_campaigns(outbox), "paused_scopes": list_scopes(outbox),
            "held_without_campaign": held_without_campaign_total(outbox)})  # fmt: skip


def resume_cmd(
    campaign: Annotated[
        str | None,
        typer.Option(
            help="The paused campaign (see dispatch campaigns). An override: releases it "
            "whatever holds it (its own signals, signatures, templates)."
        ),
    ] = None,
    signature: Annotated[
        str | None,
        typer.Option(
            help="A signature whose rate tripped: resume it, release the campaigns it alone "
            "held (those still held by another source are listed as still_held) and its "
            "messages of no campaign."
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(help="A template whose rate tripped: as --signature, for the template."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Why it is safe to send again (recorded; required).")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who resumes it (default: your login).")] = None,
    data_dir: DataOpt = None,
) -> None:
    """Release a paused campaign's held messages back to the queue, once; record who and why.

    A signature or template whose opt-out or blacklist rate tripped stays paused, holding the
    marketing of every campaign under it (also campaigns that first send after the trip, and
    marketing of no campaign), until it is resumed with --signature or --template. A campaign
    can be held by several sources at once (its complaints, its opt-out or blacklist rate, a
    signature, a template): --signature or --template removes that source only, and a campaign
    other sources still hold stays paused (`still_held` in the answer). --campaign C is the
    explicit override: it releases C whatever holds it (C only; a paused signature keeps
    holding the others).
    """
    given = [(k, v) for k, v in (("campaign", campaign), ("signature", signature),
                                 ("template", template)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise usage_error(
            "give one of --campaign, --signature or --template: what to resume (see xinshi "
            "dispatch campaigns)"
        )
    if reason is None or not reason.strip():
        raise usage_error(
            "--reason is required: say why it is safe to send again, e.g. --reason "
            '"template reworded; complaints answered"'
        )
    ((kind, name),) = given
    who = by or _login()
    try:
        out = resume(_outbox(data_dir), name, reason, who, kind=kind)
    except CampaignError as exc:
        raise usage_error(f"--{exc.field}: {exc.message}") from None
    _print(out)

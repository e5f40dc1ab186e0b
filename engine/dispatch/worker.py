"""The worker: claim due messages under a lease, admit them by lane, send, record every outcome.

Crash safety: a message is marked ``sending`` (with a lease) in its own committed transaction
before the provider is called, and its outcome is recorded as soon as the answer arrives. A
worker killed in between leaves the row ``sending``; when the lease runs out it becomes
``unknown`` and is reconciled by asking the provider for our id — re-queued only if the provider
does not have it. So nothing is lost and nothing the provider accepted is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from engine.check import check
from engine.dispatch.backend import storage_errors
from engine.dispatch.breaker import Breaker
from engine.dispatch.campaigns import KillSwitch, hold_claimed
from engine.dispatch.events import EventWriter
from engine.dispatch.lanes import Decision, LanePolicy, admit, after
from engine.dispatch.message import CHECK_TYPE, LANES, Lane, OutboxRow, Outcome, Status
from engine.dispatch.outbox import Outbox
from engine.dispatch.phone import mask
from engine.dispatch.providers.base import Provider, SendResult
from engine.dispatch.schedule import materialize_due
from engine.dispatch.scorecard import scorecard, weights
from engine.dispatch.templates import ProviderTemplate, TemplateBook
from engine.message import make_message
from engine.ruleset import RuleSet
from engine.verdict import Decision as Verdict

log = logging.getLogger("xinshi.dispatch")
STORAGE_RETRY_S = 1.0  # the database did not answer: try again this often
LIVE_S = 10.0  # a worker not seen for this long no longer takes a share of the rate limits


def _admit(
    policy: LanePolicy, now: float, row: OutboxRow, sent_since: Callable[[float], int]
) -> Decision:
    return admit(row, policy, now, sent_since)


def weighted_order(
    routes: list[tuple[Provider, ProviderTemplate]],
    shares: dict[str, float],
    draw: Callable[[], float],
) -> list[tuple[Provider, ProviderTemplate]]:
    """Routes in a random order where each comes first with probability proportional to its
    share (Efraimidis-Spirakis keys: draw ** (1 / share), largest first)."""
    keyed = [
        (draw() ** (1 / max(shares.get(p.name, 0.0), 1e-6)), i) for i, (p, _) in enumerate(routes)
    ]
    return [routes[i] for _, i in sorted(keyed, reverse=True)]


class Bucket:
    """A token bucket: at most ``rate`` sends per second to one provider (bursts of ``rate``).

    When the provider says we are too fast, ``slow_down`` halves the rate; it then climbs back
    by a tenth of the configured rate per second (additive increase, multiplicative decrease).
    """

    def __init__(self, rate: float) -> None:
        self.max_rate = self.rate = rate
        self.tokens, self.last = rate, time.monotonic()

    def share(self, rate: float) -> None:
        """Set this worker's share of the provider's rate (the configured rate / workers)."""
        self.max_rate = rate
        self.rate = min(self.rate, rate)
        self.tokens = min(self.tokens, rate)

    def slow_down(self) -> None:
        """Halve the rate (not below one send per second)."""
        self.rate = max(1.0, self.rate / 2)
        self.tokens = min(self.tokens, self.rate)

    async def take(self) -> None:
        """Wait for a token."""
        while True:
            now = time.monotonic()
            elapsed = now - self.last
            self.rate = min(self.max_rate, self.rate + elapsed * self.max_rate / 10)
            self.tokens = min(self.rate, self.tokens + elapsed * self.rate)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


@dataclass
class WorkerOptions:
    """Timings; tests shrink them."""

    lease_s: float = 30.0
    reconcile_after_s: float = 60.0  # wait this long in ``unknown`` before asking the provider
    poll_s: float = 0.02
    maintain_every_s: float = 1.0
    retention_days: int | None = None  # purge once a day when set
    reconcile_concurrency: int = 8  # lookups in flight at once (beside sending, never inside)
    reconcile_batch: int = 200  # unknown messages taken per sweep
    receipt_timeout_s: float = 72 * 3600.0  # accepted without a receipt this long: no_receipt
    lookup_qps: float = 10.0  # per provider: the query APIs' rate limits are lower than sends'
    qps: dict[str, float] | None = None  # provider -> sends/s for ALL workers together
    route: str = "order"  # "order": failover order; "scorecard": weighted by the scorecard
    route_every_s: float = 60.0  # recompute the weights this often
    route_window_s: float = 3600.0  # from messages created this long ago
    route_threshold: float = 0.95  # a provider whose delivery rate (lower bound) is below it
    prices: dict[str, float] | None = None  # fen per segment, for cost per delivered


class Worker:
    """One worker process's loop (asyncio; SQLite calls are short and synchronous)."""

    def __init__(
        self,
        outbox: Outbox,
        providers: Sequence[Provider],
        book: TemplateBook,
        ruleset: RuleSet,
        policies: dict[Lane, LanePolicy],
        events: EventWriter,
        options: WorkerOptions | None = None,
        killswitch: KillSwitch | None = None,
    ) -> None:
        self.outbox, self.providers, self.book = outbox, list(providers), book
        self.killswitch = killswitch  # blacklist answers count against a campaign
        self.ruleset, self.policies, self.events = ruleset, policies, events
        self.opt = options or WorkerOptions()
        self.inflight = dict.fromkeys(LANES, 0)
        # each provider's send rate is shared by every live worker on this outbox (the
        # workers' heartbeats count them): the configured rate holds however many run
        self.qps = {p.name: (self.opt.qps or {}).get(p.name, p.max_qps) for p in self.providers}
        self.buckets = {name: Bucket(rate) for name, rate in self.qps.items()}
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.peers = 1
        self.tasks: set[asyncio.Task[None]] = set()
        self.lookup_tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self._done: list[tuple[OutboxRow, Provider, SendResult, bool, float, float]] = []
        self._last_purge = 0.0
        self.breakers = {p.name: Breaker() for p in self.providers}
        self.lookup_buckets = {p.name: Bucket(self.opt.lookup_qps) for p in self.providers}
        self._reconciling: set[str] = set()  # ids whose lookup is in flight
        self._lookups = asyncio.Semaphore(max(1, self.opt.reconcile_concurrency))
        self.weights: dict[str, float] | None = None  # --route scorecard: traffic shares
        self._weighed_at = 0.0
        self._score_box: Outbox | None = None  # its own connection for the scorecard read

    def route(self, row: OutboxRow) -> list[tuple[Provider, ProviderTemplate]]:
        """Providers with an approved template for this message, in configured order."""
        tpl = self.book.templates.get(row.template_id)
        if tpl is None:
            return []
        return [(p, tpl.providers[p.name]) for p in self.providers if p.name in tpl.providers]

    async def run(self, stop: asyncio.Event) -> None:
        """Claim, admit and send until ``stop`` is set; then let in-flight sends finish.

        Maintenance (schedules, dead leases, reconciliation, receipts, retention) runs beside
        this loop as its own task: a slow provider lookup never delays a claim.
        """
        maintenance = asyncio.create_task(self._maintain_loop(stop))
        down_since: float | None = None  # the database stopped answering at this time
        while not stop.is_set():
            try:
                busy = self._claim_and_start(time.time())
            except storage_errors() as exc:  # the database went away: nothing is lost (the
                # answers stay in memory, claimed rows keep their lease); retry until it is back
                if down_since is None:
                    down_since = time.time()
                    log.warning("database unavailable, retrying every %.0f s: %s",
                                STORAGE_RETRY_S, " ".join(str(exc).split()))  # fmt: skip
                await asyncio.sleep(STORAGE_RETRY_S)
                continue
            if down_since is not None:
                log.warning("database back after %.1f s", time.time() - down_since)
                down_since = None
            await asyncio.sleep(0 if busy else self.opt.poll_s)
        await asyncio.gather(maintenance, return_exceptions=True)
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.flush()

    def _claim_and_start(self, now: float) -> bool:
        """Record the answers that came in, then claim and start what is due in every lane;
        True when something was claimed."""
        self.flush()
        busy = False
        for lane in LANES:  # otp first: its slots are its own
            free = self.policies[lane].slots - self.inflight[lane]
            if free <= 0 or not self.outbox.due(lane, now):
                continue
            gate = partial(_admit, self.policies[lane], now)
            for row in self.outbox.claim(lane, free, now, self.opt.lease_s, gate):
                busy = True
                self._start(row)
        return busy

    async def _maintain_loop(self, stop: asyncio.Event) -> None:
        """Maintenance every ``maintain_every_s`` until ``stop``; then wait for lookups."""
        while not stop.is_set():
            try:
                await self.maintain(time.time())
            except Exception:  # a failing sweep must not stop sending; the next one retries
                log.exception("maintenance failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.opt.maintain_every_s)
        if self.lookup_tasks:
            await asyncio.gather(*self.lookup_tasks, return_exceptions=True)
        if self._score_box is not None:
            self._score_box.close()
        self.outbox.leave(self.worker_id)

    def flush(self) -> None:
        """Record the answers that arrived since the last flush, in one transaction.

        A worker killed before a flush leaves those rows ``sending``; their lease expires and
        reconciliation finds them at the provider, so batching loses nothing.
        """
        if not self._done:
            return
        done = list(self._done)  # cleared once committed: a failed commit is retried whole
        sent: list[tuple[str, OutboxRow, float, int | None]] = []
        with self.outbox.transaction():
            for row, provider, result, failover, started, ended in done:
                outcome, rid = result.outcome.value, result.request_id
                self.outbox.record_attempt(
                    row.id, provider.name, started, ended, outcome, result.code, rid
                )
                if self.record(row, provider, result, failover, ended):
                    sent.append(("sent", row, ended, None))
        del self._done[: len(done)]
        self.sent += len(sent)
        self.events.write_many(sent)

    def _start(self, row: OutboxRow) -> None:
        """Send a claimed message (admitted by the claim: expiry, quiet hours, caps)."""
        self.inflight[row.lane] += 1
        task = asyncio.create_task(self._send(row))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, row: OutboxRow) -> None:
        try:
            await self._send_one(row)
        except Exception:  # one bad message must not stop the worker; the lease reconciles it
            log.exception("send failed for message %s", row.id)
        finally:
            self.inflight[row.lane] -= 1

    async def _send_one(self, row: OutboxRow) -> None:
        if row.ruleset_version != self.ruleset.version:  # the rules changed since it was approved
            verdict = check(
                make_message(row.rendered_text, type=CHECK_TYPE[row.lane]), self.ruleset
            )
            if verdict.verdict is not Verdict.ALLOW:
                rules = ",".join(f.rule_id for f in verdict.findings if f.severity.value != "info")
                self.outbox.move(row.id, Status.BLOCKED, code="rules_changed", detail=rules)
                return
        if row.lane is Lane.MARKETING and self.outbox.is_suppressed(row.phone, row.sign_name):
            self.outbox.move(row.id, Status.SUPPRESSED, code="opted_out")
            return
        if row.lane is Lane.MARKETING and hold_claimed(self.outbox, row.id, time.time()):
            return  # its campaign was paused since the claim: held, not sent
        routes = self.route(row)
        if not routes:
            self.outbox.move(row.id, Status.FAILED, code="no_provider_template")
            return
        now = time.time()
        if self.weights:  # by scorecard: a weighted draw, the rest after it
            ordered = weighted_order(routes, self.weights, random.random)
        else:
            first = (row.attempts - 1) % len(routes)
            ordered = routes[first:] + routes[:first]
        chosen = next(((p, t) for p, t in ordered if self.breakers[p.name].allows(now)), None)
        if chosen is None:  # every provider it can go to is down: wait, untried
            reopens = min(self.breakers[p.name].reopens_at(now) for p, _ in routes)
            self.outbox.release(row.id, reopens, "circuit_open", now)
            return
        provider, tpl = chosen
        await self.buckets[provider.name].take()
        started = time.time()
        result = await provider.send(row, tpl)
        self._health(provider, result.outcome)
        # fail over at once only to a provider not yet tried in this round; once every
        # provider has failed, the lane's backoff applies (never a tight loop between them)
        untried = row.attempts % len(routes) != 0
        self._done.append((row, provider, result, untried, started, time.time()))

    def _health(self, provider: Provider, outcome: Outcome) -> None:
        """Feed the provider's breaker and bucket; log when the breaker changes state."""
        if outcome is Outcome.PROVIDER_THROTTLED:
            self.buckets[provider.name].slow_down()
        breaker = self.breakers[provider.name]
        before = breaker.state
        breaker.record(outcome, time.time(), random.random())
        if breaker.state is not before:
            log.warning("provider %s: circuit %s -> %s (%s)", provider.name, before.value,
                        breaker.state.value, outcome.value)  # fmt: skip

    def record(
        self, row: OutboxRow, provider: Provider, result: SendResult, failover: bool, now: float
    ) -> bool:
        """Record one outcome; True when the provider accepted it."""
        if result.outcome is Outcome.ACCEPTED:
            self.outbox.accept(row.id, provider.name, result.provider_ref, result.code, now,
                               result.billed_parts)  # fmt: skip
            return True
        d = after(row, self.policies[row.lane], result.outcome, now, failover, random.random())
        log.info("message %s to %s: %s %s -> %s", row.id, mask(row.phone), result.outcome.value,
                 result.code, d.status)  # fmt: skip
        assert d.status is not None
        self.outbox.move(row.id, d.status, code=d.code or result.code, detail=result.code,
                         not_before=d.not_before, now=now)  # fmt: skip
        if d.status is Status.SUPPRESSED:
            self.outbox.suppress(row.phone, row.sign_name, "provider_blacklist", provider.name, now)
            if self.killswitch is not None:
                self.killswitch.on_code(row.id, result.code, now)
        return False

    async def maintain(self, now: float) -> None:
        """Due schedules -> rows; dead leases -> unknown; reconcile unknowns; match orphans;
        accepted too long without a receipt -> no_receipt."""
        peers = self.outbox.heartbeat(self.worker_id, now, LIVE_S)
        if peers != self.peers:
            log.info("%d workers share the providers' rate limits", peers)
            self.peers = peers
        for name, bucket in self.buckets.items():
            bucket.share(self.qps[name] / peers)
        await self.weigh(now)
        n = materialize_due(self.outbox, now)
        if n:
            log.info("schedules: queued %d messages", n)
        for mid in self.outbox.expire_leases(now):
            log.warning("message %s: lease expired mid-send, reconciling", mid)
        self.sweep_unknown(now)
        self.outbox.match_orphans()
        lost = self.outbox.expire_receipts(now, self.opt.receipt_timeout_s)
        if lost:  # receipts refused, lost or never sent by the provider: worth an alert
            log.warning("%d messages got no receipt within %.0f h: now no_receipt (first %s)",
                        len(lost), self.opt.receipt_timeout_s / 3600, lost[0])  # fmt: skip
        if self.opt.retention_days and now - self._last_purge > 86400:
            self._last_purge = now
            self.outbox.purge(now, self.opt.retention_days)

    async def weigh(self, now: float) -> None:
        """--route scorecard: recompute each provider's traffic share from the last window.

        The read runs in a thread on a connection of its own: a long window never holds the
        outbox's lock or the event loop, so claims and OTPs do not wait for it.
        """
        if self.opt.route != "scorecard" or now - self._weighed_at < self.opt.route_every_s:
            return
        self._weighed_at = now
        if self._score_box is None:
            self._score_box = Outbox(self.outbox.target)
        since = now - self.opt.route_window_s
        card = await asyncio.to_thread(scorecard, self._score_box, since, (), self.opt.prices, now)
        names = [p.name for p in self.providers]
        shares = weights(card["rows"], names, self.opt.route_threshold)
        said = ", ".join(f"{n} {w:.0%}" for n, w in shares.items())
        if self.weights is None or said != ", ".join(
            f"{n} {w:.0%}" for n, w in self.weights.items()
        ):  # log changes people can see, not every refresh
            log.info("routing by scorecard: %s", said)
        self.weights = shares

    def sweep_unknown(self, now: float) -> int:
        """Start lookups for messages ``unknown`` long enough (a capped batch, not already being
        looked up); they run as tasks, at most ``reconcile_concurrency`` at once."""
        started = 0
        for row in self.outbox.unknown(self.opt.reconcile_batch, now - self.opt.reconcile_after_s):
            if row.id in self._reconciling:
                continue
            self._reconciling.add(row.id)
            task = asyncio.create_task(self._reconcile_bounded(row))
            self.lookup_tasks.add(task)
            task.add_done_callback(self.lookup_tasks.discard)
            started += 1
        return started

    async def _reconcile_bounded(self, row: OutboxRow) -> None:
        try:
            async with self._lookups:
                await self.reconcile(row, time.time())
        except Exception:  # the next sweep asks again
            log.exception("reconciliation failed for message %s", row.id)
        finally:
            self._reconciling.discard(row.id)

    async def reconcile(self, row: OutboxRow, now: float) -> None:
        """Ask each provider that could have it: accepted -> record; absent -> re-queue."""
        for provider, _ in self.route(row):
            bucket = self.lookup_buckets.get(provider.name)
            if bucket is not None:
                await bucket.take()
            found = await provider.lookup(row)
            if found is None:
                continue
            if found.outcome is Outcome.ACCEPTED:
                self.outbox.accept(row.id, provider.name, found.provider_ref, "reconciled", now)
                self.events.write("sent", row, ts=now)
                return
            return  # the lookup itself failed: try again next round
        if row.attempts >= self.policies[row.lane].max_attempts:  # e.g. a code nobody knows
            self.outbox.move(row.id, Status.FAILED, expect=(Status.UNKNOWN,),
                             code="retries_exhausted", detail=row.last_code, now=now)  # fmt: skip
            return
        self.outbox.move(row.id, Status.QUEUED, expect=(Status.UNKNOWN,),
                         code="reconciled_not_sent", not_before=now, now=now)  # fmt: skip

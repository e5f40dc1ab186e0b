"""Rank drafts among drafts of the same message type, as the playground page does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Place(NamedTuple):
    """A draft's place among the drafts of its type."""

    rank: int  # 1 = highest predicted click rate among drafts of this type
    of: int  # how many drafts of this type there are
    best: bool  # the best draft of its type that may go out (allowed first, else review)


def rank_by_type(drafts: Sequence[tuple[str, float, str]]) -> list[Place]:
    """Place each ``(type, score, verdict)`` among the drafts of its type, in input order.

    A notice never outranks a marketing draft or takes its ★: they are not alternatives.
    """
    groups: dict[str, list[int]] = {}
    for i, (type_, _, _) in enumerate(drafts):
        groups.setdefault(type_, []).append(i)
    places: list[Place] = [Place(0, 0, False)] * len(drafts)
    for members in groups.values():
        order = sorted(members, key=lambda i: -drafts[i][1])
        best = next(
            (i for wanted in ("allow", "review") for i in order if drafts[i][2] == wanted),
            None,
        )
        for place, i in enumerate(order, start=1):
            places[i] = Place(place, len(members), i == best)
    return places

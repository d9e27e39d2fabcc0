"""An organisation's ego graph: it, the organisations it has ties with, and their ties.

Laid out on the server (a radial layout: the organisation in the centre, its tie partners on
a circle around it) and drawn by the template as inline SVG markup styled by classes, so it
needs no script and respects the Content-Security-Policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Q

from swim.directory.models import Organisation, Tie

WIDTH, HEIGHT = 640, 340
RADIUS = 118
LABEL_CHARS = 28
# The kinds of tie from the strongest evidence of working together to the weakest.
KIND_ORDER: list[str] = [
    Tie.Kind.SHARED_TRUSTEE, Tie.Kind.PARENT, Tie.Kind.MERGER, Tie.Kind.PARTNERSHIP,
    Tie.Kind.COMMON_FUNDER, Tie.Kind.SAME_NETWORK,
]  # fmt: skip


@dataclass(frozen=True)
class EgoNode:
    name: str
    label: str
    url: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor: start, middle or end
    centre: bool = False


@dataclass(frozen=True)
class EgoEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # the Tie.Kind value that styles the line
    title: str
    between_partners: bool  # a tie between two partners rather than with the centre


@dataclass(frozen=True)
class EgoGraph:
    nodes: list[EgoNode]
    edges: list[EgoEdge]
    kinds: list[tuple[str, str]]  # (value, label) of the kinds drawn, for the legend
    hidden: int  # partners left out to keep the drawing legible
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def partners(self) -> int:
        return len(self.nodes) - 1


def radial_layout(
    count: int, *, cx: float = WIDTH / 2, cy: float = HEIGHT / 2, radius: float = RADIUS
) -> list[tuple[float, float]]:
    """``count`` points evenly on a circle, the first at the top, going clockwise.

    >>> radial_layout(4, cx=0, cy=0, radius=10)
    [(0.0, -10.0), (10.0, 0.0), (0.0, 10.0), (-10.0, 0.0)]
    """
    return [
        (
            round(cx + radius * math.sin(2 * math.pi * i / count), 1) + 0.0,
            round(cy - radius * math.cos(2 * math.pi * i / count), 1) + 0.0,
        )
        for i in range(count)
    ]


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis.

    >>> shorten("Kings Road Somali Women's Association", 20)
    'Kings Road Somali W…'
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def main_kind(kinds: list[str]) -> str:
    """The strongest of several kinds of tie, which styles the line drawn.

    >>> main_kind(["same_network", "partnership"])
    'partnership'
    """
    return min(kinds, key=KIND_ORDER.index)


def _label_position(x: float, y: float) -> tuple[float, float, str]:
    """Where a partner's label goes: outside the circle, away from the centre."""
    dx, dy = x - WIDTH / 2, y - HEIGHT / 2
    if abs(dx) < RADIUS * 0.25:
        return x, y + (22 if dy > 0 else -12), "middle"
    return x + (12 if dx > 0 else -12), y + 4, "start" if dx > 0 else "end"


def ego_graph(org: Organisation, *, limit: int = 12) -> EgoGraph | None:
    """The ego graph of ``org`` with at most ``limit`` partners, or ``None`` without ties.

    Partners with more kinds of tie come first, then by name. Ties among the partners are
    drawn too: they show whether the organisation sits in a group that already works
    together.
    """
    kinds_with: dict[int, list[str]] = {}
    for a, b, kind in Tie.objects.filter(Q(a=org) | Q(b=org)).values_list("a", "b", "kind"):
        kinds_with.setdefault(b if a == org.pk else a, []).append(kind)
    if not kinds_with:
        return None
    partners = sorted(
        Organisation.objects.filter(pk__in=kinds_with).only("org_id", "name"),
        key=lambda p: (-len(kinds_with[p.pk]), p.name, p.pk),
    )[:limit]
    cx, cy = WIDTH / 2, HEIGHT / 2
    centre = EgoNode(org.name, shorten(org.name), "", cx, cy, cx, cy + 34, "middle", True)
    nodes, position = [centre], {}
    for partner, (x, y) in zip(partners, radial_layout(len(partners)), strict=True):
        label_x, label_y, anchor = _label_position(x, y)
        url = partner.get_absolute_url()
        nodes.append(
            EgoNode(partner.name, shorten(partner.name), url, x, y, label_x, label_y, anchor)
        )
        position[partner.pk] = (x, y)
    labels = dict(Tie.Kind.choices)
    edges = [
        EgoEdge(
            cx, cy, *position[pk], main_kind(kinds_with[pk]),
            ", ".join(labels[k] for k in sorted(set(kinds_with[pk]), key=KIND_ORDER.index)),
            between_partners=False,
        )
        for pk in position
    ]  # fmt: skip
    among = Tie.objects.filter(a__in=position, b__in=position).values_list("a", "b", "kind")
    seen: set[tuple[int, int]] = set()
    for a, b, kind in among.order_by("a", "b", "kind"):
        if (a, b) not in seen:
            seen.add((a, b))
            edges.append(EgoEdge(*position[a], *position[b], kind, labels[kind], True))
    drawn = sorted({edge.kind for edge in edges})
    return EgoGraph(nodes, edges, [(k, labels[k]) for k in drawn], len(kinds_with) - len(partners))

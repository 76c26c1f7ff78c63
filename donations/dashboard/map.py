"""The programme map: the posts and the routes of the shipments, ready for the template.

Routes are grouped by origin, destination and status (overdue counted apart from
dispatched), so the map stays the same size however many shipments there are: one line
per group, drawn along the great circle, several groups on one pair side by side.

The land is drawn for the whole window of `geometry.PROJECTION`; the SVG's viewBox is the
part of that window the programme covers (its posts and routes, with a margin), so that the
islands are not lost in the ocean, on a phone least of all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from donations.dashboard import geometry
from donations.dashboard.geometry import PROJECTION, Pair
from donations.dashboard.service import ROUTE_STATUSES, RouteGroup
from donations.models import Organisation

LANE = 6.0  # SVG units between the lines of one pair in different statuses
# Labels are placed for their largest size (the CSS draws them smaller on wide screens).
LABEL_SIZE = 22.0
MARKER = 7.0
PADDING = 40.0
ASPECT = 1.3  # width / height of the frame
MIN_WIDTH = 520.0  # the frame never zooms in further than this (about 80° of longitude)


@dataclass(frozen=True)
class Post:
    id: int
    code: str
    name: str
    city: str | None
    country: str
    kind: str
    x: float
    y: float
    label: str
    label_x: float
    label_y: float
    anchor: str  # text-anchor: start, end or middle


@dataclass(frozen=True)
class Route:
    origin: Organisation
    destination: Organisation
    status: str
    shipments: int
    items: int
    distance_km: float
    d: str  # SVG path data
    tag: str | None


@dataclass(frozen=True)
class Leg:
    """One origin-destination pair, for the table beside the map."""

    origin: Organisation
    destination: Organisation
    distance_km: float | None
    statuses: list[tuple[str, int]]
    shipments: int
    items: int


@dataclass(frozen=True)
class Frame:
    x: float
    y: float
    width: float
    height: float

    @property
    def viewbox(self) -> str:
        return " ".join(f"{v:.1f}".removesuffix(".0") for v in self.box)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.width, self.height)

    def contains(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        return (
            x0 >= self.x
            and y0 >= self.y
            and x1 <= self.x + self.width
            and y1 <= self.y + self.height
        )


@dataclass(frozen=True)
class ProgrammeMap:
    width: float  # the window (the land and the sea are drawn in all of it)
    height: float
    frame: Frame  # the part of the window shown
    land: str
    graticule: str
    graticule_labels: list[tuple[str, float, float]]
    posts: list[Post]
    routes: list[Route]
    legs: list[Leg]
    statuses: tuple[str, ...] = ROUTE_STATUSES


def _located(org: Organisation | None) -> bool:
    return org is not None and org.lat is not None and org.lon is not None


@lru_cache(maxsize=1024)
def _route(
    lat1: float, lon1: float, lat2: float, lon2: float, offset: float
) -> tuple[str, tuple[Pair, ...]]:
    """Path data of the great circle between two posts, and its projected points."""
    points = geometry.project_route(geometry.great_circle((lat1, lon1), (lat2, lon2)), offset)
    return geometry.path_data([points], closed=False), tuple(points)


@lru_cache(maxsize=1024)
def _distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return geometry.distance_km((lat1, lon1), (lat2, lon2))


def _lane(index: int) -> float:
    """0, +1, -1, +2, -2, ... lanes."""
    return LANE * ((index + 1) // 2) * (1 if index % 2 else -1)


def _where(org: Organisation) -> Pair:
    return (float(org.lat or 0), float(org.lon or 0))


def build(organisations: dict[int, Organisation], groups: Iterable[RouteGroup]) -> ProgrammeMap:
    by_pair: dict[tuple[int, int], list[RouteGroup]] = defaultdict(list)
    for group in groups:
        by_pair[(group.origin_id, group.destination_id)].append(group)
    routes: list[Route] = []
    legs: list[Leg] = []
    drawn: list[Pair] = []
    for (origin_id, destination_id), pair_groups in by_pair.items():
        origin, destination = organisations.get(origin_id), organisations.get(destination_id)
        if origin is None or destination is None:
            continue
        distance = None
        if _located(origin) and _located(destination):
            a, b = _where(origin), _where(destination)
            distance = _distance(*a, *b)
            for index, group in enumerate(pair_groups):
                d, points = _route(*a, *b, _lane(index))
                drawn.extend(points)
                routes.append(
                    Route(
                        origin=origin,
                        destination=destination,
                        status=group.status,
                        shipments=group.shipments,
                        items=group.items,
                        distance_km=distance,
                        d=d,
                        tag=group.tag,
                    )
                )
        legs.append(
            Leg(
                origin=origin,
                destination=destination,
                distance_km=distance,
                statuses=[(g.status, g.shipments) for g in reversed(pair_groups)],
                shipments=sum(g.shipments for g in pair_groups),
                items=sum(g.items for g in pair_groups),
            )
        )
    order = {name: index for index, name in enumerate(ROUTE_STATUSES)}
    routes.sort(key=lambda r: order.get(r.status, -1))
    legs.sort(key=lambda leg: (leg.origin.name, -(leg.distance_km or 0)))
    on_routes = {org_id for pair in by_pair for org_id in pair}
    located = _in_window(
        org
        for org in organisations.values()
        if _located(org) and (org.kind in ("donor", "recipient") or org.id in on_routes)
    )
    frame = fit_frame([(x, y) for _, x, y in located] + drawn)
    graticule, meridians, parallels = geometry.graticule()
    return ProgrammeMap(
        width=PROJECTION.width,
        height=PROJECTION.height,
        frame=frame,
        land=geometry.land_path(),
        graticule=graticule,
        graticule_labels=_graticule_labels(frame, meridians, parallels),
        posts=place_labels(located, frame),
        routes=routes,
        legs=legs,
    )


def _in_window(organisations: Iterable[Organisation]) -> list[tuple[Organisation, float, float]]:
    out = []
    for org in organisations:
        x, y = PROJECTION.point(float(org.lon or 0), float(org.lat or 0))
        if PROJECTION.contains(x, y):
            out.append((org, x, y))
    return out


def fit_frame(points: Sequence[Pair]) -> Frame:
    """The part of the window that shows `points` with a margin, at a fixed aspect ratio,
    never smaller than MIN_WIDTH and never outside the window."""
    width, height = PROJECTION.width, PROJECTION.height
    inside = [(x, y) for x, y in points if 0 <= x <= width and 0 <= y <= height]
    if not inside:
        return Frame(0.0, 0.0, width, height)
    xs, ys = [x for x, _ in inside], [y for _, y in inside]
    x0, x1 = min(xs) - PADDING, max(xs) + PADDING
    y0, y1 = min(ys) - PADDING, max(ys) + PADDING
    w = min(width, max(x1 - x0, (y1 - y0) * ASPECT, MIN_WIDTH))
    h = min(height, w / ASPECT)
    left = min(max(0.0, (x0 + x1 - w) / 2), width - w)
    top = min(max(0.0, (y0 + y1 - h) / 2), height - h)
    return Frame(round(left, 1), round(top, 1), round(w, 1), round(h, 1))


def _graticule_labels(
    frame: Frame,
    meridians: Iterable[geometry.Meridian],
    parallels: Iterable[geometry.Parallel],
) -> list[tuple[str, float, float]]:
    """Meridians labelled along the bottom of the frame, parallels along its left side."""
    bottom = frame.y + frame.height - 8
    lat = geometry.latitude_at(bottom)
    labels = []
    for text, rel in meridians:
        x, _ = PROJECTION.xy(rel, lat)
        if frame.x + 20 <= x <= frame.x + frame.width - 20:
            labels.append((text, round(x + 4, 1), round(bottom, 1)))
    for text, y in parallels:
        if frame.y + 20 <= y <= frame.y + frame.height - 30:
            labels.append((text, round(frame.x + 6, 1), round(y - 5, 1)))
    return labels


Box = tuple[float, float, float, float]


def _overlaps(box: Box, others: Iterable[Box]) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in others)


def _label_box(x: float, y: float, text: str, anchor: str) -> Box:
    width = 0.6 * LABEL_SIZE * len(text)
    left = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
    return (left, y - LABEL_SIZE * 0.8, left + width, y + LABEL_SIZE * 0.25)


def label_text(org: Organisation) -> str:
    """The city, without a parenthesis ("South Tarawa (Bairiki)" is "South Tarawa")."""
    city = re.sub(r"\s*\(.*?\)\s*", " ", org.city or "").strip()
    return city or org.code


def place_labels(located: Iterable[tuple[Organisation, float, float]], frame: Frame) -> list[Post]:
    """A label beside each post, placed so that labels do not overlap each other or a
    marker, nor leave the frame, when that can be helped (right, left, above, below)."""
    # Donors first (they have the most routes), then from west to east.
    ordered = sorted(located, key=lambda t: (t[0].kind != "donor", t[1]))
    taken: list[Box] = [(x - MARKER, y - MARKER, x + MARKER, y + MARKER) for _, x, y in ordered]
    posts: list[Post] = []
    gap = MARKER + 3
    for org, x, y in ordered:
        text = label_text(org)
        candidates = [
            (x + gap, y + LABEL_SIZE * 0.3, "start"),
            (x - gap, y + LABEL_SIZE * 0.3, "end"),
            (x, y - gap, "middle"),
            (x, y + gap + LABEL_SIZE * 0.75, "middle"),
        ]
        fitting = [c for c in candidates if frame.contains(_label_box(*c[:2], text, c[2]))]
        free = [c for c in fitting if not _overlaps(_label_box(*c[:2], text, c[2]), taken)]
        lx, ly, anchor = (free or fitting or candidates)[0]
        taken.append(_label_box(lx, ly, text, anchor))
        posts.append(
            Post(
                id=org.id,
                code=org.code,
                name=org.name,
                city=org.city,
                country=org.country,
                kind=org.kind,
                x=round(x, 1),
                y=round(y, 1),
                label=text,
                label_x=round(lx, 1),
                label_y=round(ly, 1),
                anchor=anchor,
            )
        )
    return posts

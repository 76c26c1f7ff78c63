"""Geometry of the programme map: projection, land outlines, great-circle routes.

Land: Natural Earth 1:50m land outlines (public domain), as TopoJSON from the npm package
world-atlas 2.0.2 (ISC), vendored unchanged in `donations/data/land-50m.json` (see
`donations/data/LICENSE-world-atlas.txt`) and decoded by `donations.dashboard.topojson`.

Projection: Natural Earth (the polynomial form of Šavrič et al., 2011), with its
central meridian at 165°E, in a window from 90°E to 120°W and from 50°N to 50°S, so that the
Pacific is in one piece: longitudes are taken into [cm - 180, cm + 180), and the seam is then
at 15°W, far outside the window. Land rings are unwrapped (no jump of more than 180° between
two positions), shifted by whole turns and clipped, first in longitude (cm ± 100°, which
splits any polygon that crossed the new seam) and then, once projected, to the window.

The projected land path never changes, so it is computed once, at first use.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

from geopy.distance import geodesic

from donations.dashboard.topojson import Point, polygons

CENTRAL_MERIDIAN = 165.0
WEST, EAST = 90.0, 240.0  # degrees east; 240°E is 120°W
NORTH, SOUTH = 50.0, -50.0
WIDTH = 1000.0
LAND_FILE = "data/land-50m.json"
SIMPLIFY = 0.5  # SVG units (the map is 1000 wide): finer detail is not visible
ROUTE_STEPS = 32

Pair = tuple[float, float]


def natural_earth(lam: float, phi: float) -> Pair:
    """Natural Earth I projection of (longitude, latitude) in radians, y to the north."""
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (
        0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * phi2 * (0.003971 - 0.001529 * phi2))
    )
    y = phi * (
        1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4))
    )
    return x, y


def relative_longitude(lon: float, central: float = CENTRAL_MERIDIAN) -> float:
    """`lon` minus the central meridian, taken into [-180, 180)."""
    return (lon - central + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class Projection:
    """Degrees to SVG units (y down) for the window of the map."""

    central: float = CENTRAL_MERIDIAN
    west: float = WEST
    east: float = EAST
    north: float = NORTH
    south: float = SOUTH
    width: float = WIDTH

    def _raw(self, relative_lon: float, lat: float) -> Pair:
        return natural_earth(math.radians(relative_lon), math.radians(lat))

    @cached_property
    def _origin(self) -> Pair:
        x0, _ = self._raw(self.west - self.central, 0.0)
        _, y0 = self._raw(0.0, self.north)
        return x0, y0

    @cached_property
    def scale(self) -> float:
        x0, _ = self._raw(self.west - self.central, 0.0)
        x1, _ = self._raw(self.east - self.central, 0.0)
        return self.width / (x1 - x0)

    @cached_property
    def height(self) -> float:
        _, top = self._raw(0.0, self.north)
        _, bottom = self._raw(0.0, self.south)
        return round((top - bottom) * self.scale, 1)

    def xy(self, relative_lon: float, lat: float) -> Pair:
        """SVG position of a point given by its longitude relative to the central meridian."""
        x, y = self._raw(relative_lon, lat)
        x0, y0 = self._origin
        return (x - x0) * self.scale, (y0 - y) * self.scale

    def point(self, lon: float, lat: float) -> Pair:
        return self.xy(relative_longitude(lon, self.central), lat)

    def contains(self, x: float, y: float) -> bool:
        return 0.0 <= x <= self.width and 0.0 <= y <= self.height


PROJECTION = Projection()


# --- clipping and simplification ------------------------------------------------------------


def _clip(ring: Sequence[Pair], inside: Iterable[tuple[int, float, bool]]) -> list[Pair]:
    """Sutherland-Hodgman: clip a closed ring by half-planes (axis, limit, keep_below)."""
    out = list(ring)
    for axis, limit, below in inside:
        if not out:
            break
        source, out = out, []
        prev = source[-1]
        prev_in = (prev[axis] <= limit) if below else (prev[axis] >= limit)
        for cur in source:
            cur_in = (cur[axis] <= limit) if below else (cur[axis] >= limit)
            if cur_in != prev_in:
                t = (limit - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if cur_in:
                out.append(cur)
            prev, prev_in = cur, cur_in
    return out


def _rdp(points: Sequence[Pair], tolerance: float) -> list[Pair]:
    """Ramer-Douglas-Peucker on an open polyline (iterative)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = (
                abs(dy * (px - ax) - dx * (py - ay)) / norm
                if norm
                else math.hypot(px - ax, py - ay)
            )
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplify_ring(ring: Sequence[Pair], tolerance: float) -> list[Pair]:
    """A closed ring simplified, split at its farthest point from the start."""
    if len(ring) < 4:
        return list(ring)
    start = ring[0]
    far = max(
        range(len(ring)), key=lambda i: (ring[i][0] - start[0]) ** 2 + (ring[i][1] - start[1]) ** 2
    )
    head = _rdp(ring[: far + 1], tolerance)
    tail = _rdp([*ring[far:], start], tolerance)
    return head + tail[1:-1]


def _unwrap(ring: Sequence[Point]) -> list[Pair]:
    """Longitudes made continuous: no step of more than 180° between neighbours."""
    out: list[Pair] = []
    shift = 0.0
    for index, (lon, lat) in enumerate(ring):
        if index:
            step = lon + shift - out[-1][0]
            if step > 180.0:
                shift -= 360.0
            elif step < -180.0:
                shift += 360.0
        out.append((lon + shift, lat))
    return out


def _tenths(points: Iterable[Pair]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x, y in points:
        p = (round(x * 10), round(y * 10))
        if not out or p != out[-1]:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def _num(tenths: int) -> str:
    whole, frac = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def path_data(rings: Iterable[Sequence[Pair]], *, closed: bool = True) -> str:
    """Compact SVG path data: positions rounded to 0.1, relative moves after the first."""
    parts: list[str] = []
    for ring in rings:
        pts = _tenths(ring)
        if len(pts) < (3 if closed else 2):
            continue
        (x, y), rest = pts[0], pts[1:]
        steps = " ".join(
            f"{_num(px - qx)},{_num(py - qy)}"
            for (qx, qy), (px, py) in zip(pts, rest, strict=False)
        )
        parts.append(f"M{_num(x)},{_num(y)}l{steps}{'z' if closed else ''}")
    return "".join(parts)


# --- land -------------------------------------------------------------------------------------


def project_land(
    rings: Iterable[Sequence[Point]], projection: Projection = PROJECTION
) -> list[list[Pair]]:
    """Land rings inside the window, projected, clipped and simplified."""
    west = projection.central - 100.0
    east = projection.central + 100.0
    window = (
        (0, 0.0, False),
        (0, projection.width, True),
        (1, 0.0, False),
        (1, projection.height, True),
    )
    out: list[list[Pair]] = []
    for raw in rings:
        ring = _unwrap(raw)
        lons = [lon for lon, _ in ring]
        for turn in (-360.0, 0.0, 360.0):
            if max(lons) + turn < west or min(lons) + turn > east:
                continue
            shifted = [(lon + turn, lat) for lon, lat in ring]
            cut = _clip(shifted, ((0, west, False), (0, east, True)))
            if len(cut) < 3:
                continue
            projected = [projection.xy(lon - projection.central, lat) for lon, lat in cut]
            clipped = _clip(projected, window)
            if len(clipped) >= 3:
                out.append(simplify_ring(clipped, SIMPLIFY))
    return out


@lru_cache(maxsize=1)
def land_path() -> str:
    """The SVG path data of the land in the window (computed once)."""
    text = resources.files("donations").joinpath(LAND_FILE).read_text(encoding="utf-8")
    rings = [ring for polygon in polygons(json.loads(text), "land") for ring in polygon]
    return path_data(project_land(rings))


Meridian = tuple[str, float]  # label, longitude relative to the central meridian
Parallel = tuple[str, float]  # label, y


@lru_cache(maxsize=1)
def graticule() -> tuple[str, tuple[Meridian, ...], tuple[Parallel, ...]]:
    """Meridians every 30° and parallels every 20° inside the window (path data), and what
    is needed to label them."""
    p = PROJECTION
    lines: list[list[Pair]] = []
    meridians: list[Meridian] = []
    parallels: list[Parallel] = []
    for lon in range(int(p.west), int(p.east) + 1, 30):
        rel = relative_longitude(lon, p.central)
        lines.append([p.xy(rel, lat) for lat in range(int(p.south), int(p.north) + 1, 5)])
        east_lon = lon if lon <= 180 else lon - 360
        text = "180°" if east_lon == 180 else f"{abs(east_lon)}°{'E' if east_lon > 0 else 'W'}"
        meridians.append((text, rel))
    for lat in range(-40, 41, 20):
        lines.append([p.xy(rel, lat) for rel in range(-110, 111, 5)])
        text = "0°" if lat == 0 else f"{abs(lat)}°{'N' if lat > 0 else 'S'}"
        parallels.append((text, p.xy(0.0, lat)[1]))
    clipped = [
        [(x, y) for x, y in line if -1 <= x <= p.width + 1 and -1 <= y <= p.height + 1]
        for line in lines
    ]
    return path_data(clipped, closed=False), tuple(meridians), tuple(parallels)


def latitude_at(y: float, projection: Projection = PROJECTION) -> float:
    """The latitude drawn at height `y` (Natural Earth's y depends on latitude only)."""
    low, high = -89.0, 89.0
    for _ in range(40):
        mid = (low + high) / 2
        if projection.xy(0.0, mid)[1] > y:
            low = mid
        else:
            high = mid
    return (low + high) / 2


# --- routes -----------------------------------------------------------------------------------


def distance_km(origin: Pair, destination: Pair) -> float:
    """Geodesic (WGS 84) distance between two (lat, lon), computed offline by geopy."""
    return float(geodesic(origin, destination).km)


def great_circle(origin: Pair, destination: Pair, steps: int = ROUTE_STEPS) -> list[Pair]:
    """Points (lon, lat) along the great circle from `origin` to `destination` (lat, lon),
    longitudes unwrapped so that a route across 180° is continuous."""
    (lat1, lon1), (lat2, lon2) = origin, destination
    a = _unit(lat1, lon1)
    b = _unit(lat2, lon2)
    dot = max(-1.0, min(1.0, sum(i * j for i, j in zip(a, b, strict=True))))
    omega = math.acos(dot)
    points: list[Point] = []
    for step in range(steps + 1):
        t = step / steps
        if omega < 1e-9:
            v = a
        else:
            s = math.sin(omega)
            wa, wb = math.sin((1 - t) * omega) / s, math.sin(t * omega) / s
            v = (wa * a[0] + wb * b[0], wa * a[1] + wb * b[1], wa * a[2] + wb * b[2])
        lat = math.degrees(math.atan2(v[2], math.hypot(v[0], v[1])))
        lon = math.degrees(math.atan2(v[1], v[0]))
        points.append((lon, lat))
    return _unwrap(points)


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def project_route(
    points: Sequence[Pair], offset: float = 0.0, projection: Projection = PROJECTION
) -> list[Pair]:
    """A route's points in SVG units. All longitudes move by the same whole number of turns
    (the one that puts the start in the window's range), so the line stays continuous; an
    `offset` shifts it sideways (SVG units) to keep parallel routes apart."""
    start = relative_longitude(points[0][0], projection.central)
    turn = start - (points[0][0] - projection.central)
    xy = [projection.xy(lon - projection.central + turn, lat) for lon, lat in points]
    if offset and len(xy) > 1:
        (ax, ay), (bx, by) = xy[0], xy[-1]
        norm = math.hypot(bx - ax, by - ay) or 1.0
        nx, ny = -(by - ay) / norm, (bx - ax) / norm
        last = len(xy) - 1
        # Full offset in the middle, none at the ends: the lanes meet at the posts.
        xy = [
            (
                x + nx * offset * math.sin(math.pi * i / last),
                y + ny * offset * math.sin(math.pi * i / last),
            )
            for i, (x, y) in enumerate(xy)
        ]
    return xy

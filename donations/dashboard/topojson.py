"""A small TopoJSON reader: enough to turn world-atlas's `land` object into polygons.

TopoJSON (https://github.com/topojson/topojson-specification) stores each shared line once,
as an "arc" of delta-encoded, quantized positions; polygons name their rings as lists of arc
indexes (a negative index `~i` is arc `i` reversed). This reads a quantized topology's
Polygon and MultiPolygon geometries into rings of (longitude, latitude) in degrees.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]  # the exterior ring first, then any holes


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Every arc as absolute positions, undoing the delta encoding and the quantization."""
    transform = topology.get("transform")
    if transform is None:
        return [[(float(x), float(y)) for x, y, *_ in arc] for arc in topology["arcs"]]
    (kx, ky), (tx, ty) = transform["scale"], transform["translate"]
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        x = y = 0
        points: list[Point] = []
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * kx + tx, y * ky + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[Point]], indexes: Sequence[int]) -> Ring:
    ring: Ring = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Consecutive arcs share their joining position: keep it once.
        ring.extend(points[1:] if ring else points)
    return ring


def _geometries(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if obj.get("type") == "GeometryCollection":
        for child in obj.get("geometries", []):
            yield from _geometries(child)
    else:
        yield obj


def polygons(topology: dict[str, Any], name: str) -> list[Polygon]:
    """The polygons of object `name` (Polygon and MultiPolygon geometries; others ignored)."""
    arcs = decode_arcs(topology)
    out: list[Polygon] = []
    for geometry in _geometries(topology["objects"][name]):
        if geometry["type"] == "Polygon":
            out.append([_ring(arcs, ring) for ring in geometry["arcs"]])
        elif geometry["type"] == "MultiPolygon":
            out.extend([_ring(arcs, ring) for ring in polygon] for polygon in geometry["arcs"])
    return out

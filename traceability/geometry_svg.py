"""A production area's outline as a small inline SVG path: no map tiles, no requests.

A GeoJSON Polygon or MultiPolygon (longitude, latitude) is projected equirectangularly with
the longitudes scaled by the cosine of the middle latitude, so a field keeps its shape at
Vietnamese latitudes, then fitted into a fixed square viewBox with its aspect ratio kept and
centred. The path holds only commands and numbers, so it is safe in any attribute.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

VIEWBOX = 100.0  # the viewBox is 0 0 VIEWBOX VIEWBOX
MARGIN = 4.0  # room for the stroke


@dataclass(frozen=True)
class Outline:
    view_box: str  # "0 0 100 100"
    path: str  # "M4 10L96 10…Z"


def _rings(geometry: Any) -> list[Sequence[Sequence[float]]]:
    """The linear rings of a Polygon or MultiPolygon (outer boundaries and holes)."""
    if not isinstance(geometry, dict):
        return []
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return []
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates
    else:
        return []
    return [ring for polygon in polygons if isinstance(polygon, list)
            for ring in polygon if isinstance(ring, list) and len(ring) >= 3]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _points(ring: Iterable[Any]) -> list[tuple[float, float]]:
    points = []
    for position in ring:
        if not isinstance(position, list | tuple) or len(position) < 2:
            return []
        lon, lat = _number(position[0]), _number(position[1])
        if lon is None or lat is None:
            return []
        points.append((lon, lat))
    return points


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def outline(geometry: Any) -> Outline | None:
    """The outline of a Polygon or MultiPolygon; None for a Point, nothing drawable or a
    shape without extent (every position the same)."""
    rings = [points for points in map(_points, _rings(geometry)) if len(points) >= 3]
    if not rings:
        return None
    lats = [lat for ring in rings for _lon, lat in ring]
    lons = [lon for ring in rings for lon, _lat in ring]
    scale_x = math.cos(math.radians((min(lats) + max(lats)) / 2))
    width = (max(lons) - min(lons)) * scale_x
    height = max(lats) - min(lats)
    extent = max(width, height)
    if extent <= 0:
        return None
    factor = (VIEWBOX - 2 * MARGIN) / extent
    # Centre the shape: the shorter side gets equal room on both sides.
    left = MARGIN + (VIEWBOX - 2 * MARGIN - width * factor) / 2
    top = MARGIN + (VIEWBOX - 2 * MARGIN - height * factor) / 2
    west, north = min(lons), max(lats)
    parts = []
    for ring in rings:
        steps = [
            f"{_fmt(left + (lon - west) * scale_x * factor)} "
            f"{_fmt(top + (north - lat) * factor)}"  # SVG's y grows downwards
            for lon, lat in ring
        ]
        parts.append("M" + "L".join(steps) + "Z")
    return Outline(view_box=f"0 0 {_fmt(VIEWBOX)} {_fmt(VIEWBOX)}", path="".join(parts))

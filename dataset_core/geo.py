"""Locations: :class:`GeoLocation`, a label holding GeoJSON geometry (FiftyOne's name).

Coordinates are ``[longitude, latitude]``, as in GeoJSON::

    sample["location"] = GeoLocation(point=[-73.97, 40.76])
    GeoLocation(polygon=[[[-74.0, 40.7], [-73.9, 40.7], [-73.9, 40.8], [-74.0, 40.7]]])

:func:`to_geometry` and :func:`from_geometry` convert to and from a GeoJSON
``geometry`` object (what :mod:`dataset_core.formats.geojson` writes).
"""

from __future__ import annotations

from typing import Any

from .errors import LabelValidationError
from .fields import FloatField, ListField
from .labels import Label, _checked, _numbers


def _position(where: str, value: Any) -> list[float]:
    return [float(v) for v in _numbers(where, value, 2)]


def _positions(where: str, value: Any) -> list[list[float]]:
    if not isinstance(value, (list, tuple)):
        raise LabelValidationError(
            f"{where} must be a list of [lon, lat] points; got {value!r:.60}"
        )
    return [_position(f"{where}[{i}]", p) for i, p in enumerate(value)]


def _rings(where: str, value: Any) -> list[list[list[float]]]:
    if not isinstance(value, (list, tuple)):
        raise LabelValidationError(
            f"{where} must be a list of rings, each a list of [lon, lat] points; got {value!r:.60}"
        )
    return [_positions(f"{where}[{i}]", r) for i, r in enumerate(value)]


def _many(check: Any) -> Any:
    def many(where: str, value: Any) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise LabelValidationError(f"{where} must be a list; got {value!r:.60}")
        return [check(f"{where}[{i}]", v) for i, v in enumerate(value)]

    return many


class GeoLocation(Label):
    """Where an image was taken or what area it shows, in ``[lon, lat]`` coordinates.

    Attributes:
        point: one ``[lon, lat]``.
        line: a list of points.
        polygon: a list of rings (the first the outer boundary, the others holes).
        points, lines, polygons: several of each.
    """

    point = _checked(ListField(field=FloatField()), _position)
    line = _checked(ListField(), _positions)
    polygon = _checked(ListField(), _rings)
    points = _checked(ListField(), _positions)
    lines = _checked(ListField(), _many(_positions))
    polygons = _checked(ListField(), _many(_rings))


class GeoLocations(Label):
    """Several locations of one image (FiftyOne's name): ``points``, ``lines`` and
    ``polygons`` as in :class:`GeoLocation`.

    Example:
        >>> GeoLocations(points=[[-73.97, 40.76], [-73.95, 40.78]])
        GeoLocations(points=[[-73.97, 40.76], [-73.95, 40.78]])
    """

    points = _checked(ListField(), _positions)
    lines = _checked(ListField(), _many(_positions))
    polygons = _checked(ListField(), _many(_rings))


#: GeoLocation attribute -> GeoJSON geometry type
GEOMETRY_TYPES = {"point": "Point", "line": "LineString", "polygon": "Polygon",
                  "points": "MultiPoint", "lines": "MultiLineString",
                  "polygons": "MultiPolygon"}  # fmt: skip
_ATTRIBUTES = {v: k for k, v in GEOMETRY_TYPES.items()}


def to_geometry(location: GeoLocation | dict[str, Any] | None) -> dict[str, Any] | None:
    """The GeoJSON geometry of a location (a GeometryCollection if it has several parts)."""
    if location is None:
        return None
    get = location.get if isinstance(location, dict) else lambda k: getattr(location, k)
    parts = [{"type": t, "coordinates": get(a)} for a, t in GEOMETRY_TYPES.items()
             if get(a) is not None]  # fmt: skip
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"type": "GeometryCollection", "geometries": parts}


def from_geometry(geometry: dict[str, Any] | None) -> GeoLocation | None:
    """The location of a GeoJSON geometry (None for none).

    Raises:
        LabelValidationError: an unknown geometry type, or bad coordinates.
    """
    if not geometry:
        return None
    collection = geometry.get("type") == "GeometryCollection"
    parts = geometry.get("geometries") if collection else [geometry]
    values: dict[str, Any] = {}
    for part in parts or []:
        attr = _ATTRIBUTES.get(part.get("type"))
        if attr is None:
            raise LabelValidationError(
                f"Unknown GeoJSON geometry type {part.get('type')!r}; known: {sorted(_ATTRIBUTES)}"
            )
        values[attr] = part.get("coordinates")
    return GeoLocation(**values)

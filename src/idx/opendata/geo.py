"""Maps of a dataset's places, drawn on the server as SVG: no tiles fetched, no JavaScript needed.

Positions are projected equirectangularly with longitude scaled by the cosine of the middle
latitude, which keeps distances true to within a fraction of a percent over a city. The map is a
model (points in view-box units, paths, a scale bar, the north arrow); the page draws it and lists
the same numbered points in a table as its text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Metres per degree of latitude (a sphere of the mean Earth radius).
METRES_PER_DEGREE = 6_371_008.8 * math.pi / 180
WIDTH = 360  # view-box units: the page scales it to the phone's width
MARGIN = 28
POINTS_MAX = 500
PATH_VERTICES_MAX = 20_000
NAME_KEYS = ("名称", "name", "Name", "NAME", "title", "施設名")
ADDRESS_KEYS = ("所在地_連結表記", "住所", "所在地", "address", "Address")
LATITUDE_KEYS = ("緯度", "latitude", "lat", "Latitude", "LAT")
LONGITUDE_KEYS = ("経度", "longitude", "lon", "lng", "Longitude", "LON")


@dataclass(frozen=True)
class MapPoint:
    number: int
    latitude: float
    longitude: float
    name: str
    address: str
    x: float = 0.0
    y: float = 0.0

    @property
    def gsi_url(self) -> str:
        """The place on 地理院地図 (the Geospatial Information Authority's web map), zoom 17."""
        return f"https://maps.gsi.go.jp/#17/{self.latitude:.6f}/{self.longitude:.6f}/"


@dataclass(frozen=True)
class ScaleBar:
    x: float
    y: float
    length: float  # view-box units
    metres: int

    @property
    def label(self) -> str:
        return f"{self.metres // 1000:,} km" if self.metres >= 1000 else f"{self.metres} m"


@dataclass
class PlaceMap:
    width: int
    height: int
    points: list[MapPoint]
    paths: list[str] = field(default_factory=list)
    point_total: int = 0
    scale: ScaleBar | None = None
    north_x: float = 0.0
    north_y: float = 0.0
    marker_radius: float = 11.0

    @property
    def truncated(self) -> bool:
        return self.point_total > len(self.points)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def _number(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _first(properties: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = properties.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def coordinate_columns(columns: Iterable[str]) -> tuple[str, str] | None:
    """The latitude and longitude columns of a table (緯度 and 経度 in the standard datasets)."""
    names = list(columns)
    latitude = next((key for key in LATITUDE_KEYS if key in names), None)
    longitude = next((key for key in LONGITUDE_KEYS if key in names), None)
    return (latitude, longitude) if latitude and longitude else None


def _valid(latitude: float | None, longitude: float | None) -> bool:
    return (
        latitude is not None and longitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180
    )


def map_from_rows(
    rows: Iterable[Mapping[str, Any]], *, columns: tuple[str, str], total: int, limit: int = POINTS_MAX
) -> PlaceMap | None:
    """Rows of a table with coordinates (``total`` is how many rows the table has in all)."""
    latitude_key, longitude_key = columns
    points: list[MapPoint] = []
    for row in rows:
        if len(points) >= limit:
            break
        latitude, longitude = _number(row.get(latitude_key)), _number(row.get(longitude_key))
        if latitude is None or longitude is None or not _valid(latitude, longitude):
            continue
        points.append(
            MapPoint(len(points) + 1, latitude, longitude, _first(row, NAME_KEYS), _first(row, ADDRESS_KEYS))
        )
    return _layout(points, [], max(total, len(points)))


def map_from_geojson(document: Any, *, limit: int = POINTS_MAX) -> PlaceMap | None:
    """A GeoJSON FeatureCollection (or one Feature or geometry): points numbered, lines and areas as paths."""
    if not isinstance(document, Mapping):
        return None
    if document.get("type") == "FeatureCollection":
        features = document.get("features") or []
    elif document.get("type") == "Feature":
        features = [document]
    else:
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    points: list[MapPoint] = []
    lines: list[list[tuple[float, float]]] = []
    point_total = 0
    vertices = 0
    for feature in features if isinstance(features, list) else []:
        if not isinstance(feature, Mapping):
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, Mapping):
            properties = {}
        for kind, coordinates in _parts(feature.get("geometry")):
            if kind == "point":
                latitude, longitude = _number(coordinates[1]), _number(coordinates[0])
                if not _valid(latitude, longitude):
                    continue
                point_total += 1
                if len(points) < limit:
                    assert latitude is not None and longitude is not None
                    points.append(
                        MapPoint(
                            len(points) + 1,
                            latitude,
                            longitude,
                            _first(properties, NAME_KEYS),
                            _first(properties, ADDRESS_KEYS),
                        )
                    )
            elif vertices < PATH_VERTICES_MAX:
                line = [
                    (lon, lat)
                    for lon, lat in ((_number(p[0]), _number(p[1])) for p in coordinates if len(p) >= 2)
                    if lon is not None and lat is not None and _valid(lat, lon)
                ]
                vertices += len(line)
                if len(line) >= 2:
                    lines.append([*line, line[0]] if kind == "ring" else line)
    return _layout(points, lines, point_total)


def _parts(geometry: Any) -> Iterable[tuple[str, Any]]:
    """("point", [lon, lat]), ("line", [[lon, lat], ...]) and ("ring", ...) of a geometry."""
    if not isinstance(geometry, Mapping):
        return
    kind = geometry.get("type")
    coordinates: Any = geometry.get("coordinates") or []
    try:
        if kind == "Point" and len(coordinates) >= 2:
            yield "point", coordinates
        elif kind == "MultiPoint":
            for position in coordinates:
                if len(position) >= 2:
                    yield "point", position
        elif kind == "LineString":
            yield "line", coordinates
        elif kind == "MultiLineString":
            for line in coordinates:
                yield "line", line
        elif kind == "Polygon":
            for ring in coordinates:
                yield "ring", ring
        elif kind == "MultiPolygon":
            for polygon in coordinates:
                for ring in polygon:
                    yield "ring", ring
        elif kind == "GeometryCollection":
            for part in geometry.get("geometries") or []:
                yield from _parts(part)
    except TypeError:  # coordinates of the wrong shape: the upload check refuses them, skip here
        return


def _nice_metres(metres: float) -> int:
    """1, 2 or 5 times a power of ten, at most ``metres``."""
    if metres < 1:
        return 1
    power = 10 ** math.floor(math.log10(metres))
    for factor in (5, 2, 1):
        if factor * power <= metres:
            return int(factor * power)
    return int(power)


def _layout(
    points: list[MapPoint], lines: list[list[tuple[float, float]]], point_total: int
) -> PlaceMap | None:
    latitudes = [point.latitude for point in points] + [lat for line in lines for _lon, lat in line]
    longitudes = [point.longitude for point in points] + [lon for line in lines for lon, _lat in line]
    if not latitudes:
        return None
    middle = (min(latitudes) + max(latitudes)) / 2
    east = math.cos(math.radians(middle)) * METRES_PER_DEGREE  # metres per degree of longitude here
    west_edge, north_edge = min(longitudes), max(latitudes)
    span_x = (max(longitudes) - west_edge) * east
    span_y = (north_edge - min(latitudes)) * METRES_PER_DEGREE
    # One place, or places in a row: show at least 400 m around them.
    span_x, span_y = max(span_x, 400.0), max(span_y, 400.0)
    inner = WIDTH - 2 * MARGIN
    scale = inner / span_x  # view-box units per metre
    height_inner = span_y * scale
    if height_inner > inner * 1.25:  # tall: keep the map no taller than 1.25 × its width
        scale = inner * 1.25 / span_y
        height_inner = inner * 1.25
    height_inner = max(height_inner, inner * 0.5)
    height = round(height_inner + 2 * MARGIN + 18)
    # Centre what is drawn in the frame.
    offset_x = MARGIN + (inner - (max(longitudes) - west_edge) * east * scale) / 2
    offset_y = MARGIN + (height_inner - (north_edge - min(latitudes)) * METRES_PER_DEGREE * scale) / 2

    def project(longitude: float, latitude: float) -> tuple[float, float]:
        return (
            round(offset_x + (longitude - west_edge) * east * scale, 1),
            round(offset_y + (north_edge - latitude) * METRES_PER_DEGREE * scale, 1),
        )

    placed = [
        MapPoint(
            point.number,
            point.latitude,
            point.longitude,
            point.name,
            point.address,
            *project(point.longitude, point.latitude),
        )
        for point in points
    ]
    paths = [
        "M" + " L".join("{:.1f},{:.1f}".format(*project(lon, lat)) for lon, lat in line) for line in lines
    ]
    metres = _nice_metres(inner / 3 / scale)
    return PlaceMap(
        width=WIDTH,
        height=height,
        points=placed,
        paths=paths,
        point_total=point_total,
        scale=ScaleBar(x=MARGIN, y=height - 14, length=round(metres * scale, 1), metres=metres),
        north_x=WIDTH - MARGIN + 6,
        north_y=MARGIN - 6,
        marker_radius=11.0 if len(placed) <= 40 else 7.0,
    )

"""Conversions between label types: polylines, detections and segmentations.

The methods FiftyOne's labels have (``Polylines.to_detections``,
``Detections.to_segmentation``, ``Segmentation.to_polylines``...), as mixins
of the label classes in :mod:`dataset_core.labels`.

Pixels and relative coordinates: pixel ``i`` of a ``W``-wide frame sits at
``x = i / W``, and a region spanning pixels ``a..b`` (inclusive) is the box
from ``a / W`` to ``b / W``. Drawing a shape and reading its box back from
the mask therefore gives the box it was drawn from, exactly when its corners
fall on pixels.

Masks of class ids are 2-D; with targets written as colours (``"#ff6d04"``)
they are ``H x W x 3`` RGB. ``mask_targets`` maps pixel values (ints or
colours) to labels; ``mask_types`` says whether a class is ``"stuff"`` (one
label for all its pixels) or ``"thing"`` (one label per connected region).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import FieldValueError

if TYPE_CHECKING:
    from .labels import Detection, Detections, Polyline, Polylines, Segmentation

#: the default value drawn for a single label (``target``), as FiftyOne
DEFAULT_TARGET = 255
#: the default Douglas-Peucker tolerance of traced contours, in pixels
DEFAULT_TOLERANCE = 2
#: the 8 neighbours of a pixel, clockwise from west, as (dy, dx) (y grows downwards)
_NEIGHBOURS = ((0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1))


# -- targets: pixel values as ints or colours ---------------------------------------


def _is_colour(target: Any) -> bool:
    return isinstance(target, str)


def _code(target: Any, what: str) -> int:
    """A target as one int: itself, or ``0xRRGGBB`` for a colour ``"#rrggbb"``."""
    if _is_colour(target):
        text = target.lstrip("#")
        if len(text) != 6:
            raise FieldValueError(f"{what}: {target!r} is not a colour like '#ff6d04'")
        try:
            return int(text, 16)
        except ValueError:
            raise FieldValueError(f"{what}: {target!r} is not a colour like '#ff6d04'") from None
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 0:
        raise FieldValueError(f"{what}: a target is an int >= 0 or a colour; got {target!r}")
    return int(target)


def _colour(code: int) -> str:
    return f"#{code:06x}"


def _codes_of(mask: np.ndarray) -> np.ndarray:
    """A mask as int codes per pixel (RGB masks as ``0xRRGGBB``)."""
    if mask.ndim == 3:
        m = mask.astype(np.int64)
        return (m[..., 0] << 16) | (m[..., 1] << 8) | m[..., 2]
    return mask.astype(np.int64)


def _mask_of(codes: np.ndarray, rgb: bool) -> np.ndarray:
    """Int codes as a mask: RGB ``uint8`` if ``rgb``, else the smallest unsigned type."""
    if rgb:
        return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], -1).astype(np.uint8)
    return codes.astype(np.uint8 if codes.size == 0 or codes.max() < 256 else np.uint16)


def _canvas(mask: np.ndarray | None, frame_size: Any, rgb: bool, what: str) -> np.ndarray:
    """The codes to draw on: those of ``mask`` (copied), or zeros of ``frame_size``."""
    if mask is not None:
        return _codes_of(np.asarray(mask))
    if frame_size is None:
        raise FieldValueError(f"{what} needs frame_size=(width, height) or a mask to draw on")
    width, height = frame_size
    return np.zeros((int(height), int(width)), dtype=np.int64)


# -- drawing -------------------------------------------------------------------------


def _pixel_span(start: float, size: float, n: int) -> tuple[int, int]:
    """The pixels ``a..b`` (inclusive, within ``0..n-1``) of ``[start, start + size]``."""
    a = min(max(round(start * n), 0), n - 1)
    b = min(max(round((start + size) * n), a), n - 1)
    return a, b


def _draw_detection(codes: np.ndarray, det: Any, code: int) -> None:
    height, width = codes.shape
    x, y, w, h = det.bounding_box
    x0, x1 = _pixel_span(x, w, width)
    y0, y1 = _pixel_span(y, h, height)
    region = codes[y0 : y1 + 1, x0 : x1 + 1]
    inst = det.get_mask()
    if inst is None:
        region[...] = code
        return
    region[_resized(np.asarray(inst) > 0, region.shape)] = code


def _resized(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A boolean mask resized (nearest pixel) to ``shape`` (rows, columns)."""
    if mask.shape == shape:
        return mask
    from PIL import Image

    img = Image.fromarray(mask.astype(np.uint8) * 255).resize((shape[1], shape[0]), Image.NEAREST)
    return np.asarray(img) > 127


def _shapes_mask(shapes: list[Any], closed: bool, filled: bool, size: tuple[int, int],
                 scale: tuple[float, float], offset: tuple[float, float] = (0.0, 0.0),
                 thickness: int = 1) -> np.ndarray:  # fmt: skip
    """A ``size`` (width, height) boolean mask of polyline shapes, point ``(x, y)``
    drawn at pixel ``((x - ox) * sx, (y - oy) * sy)``."""
    from PIL import Image, ImageDraw

    img = Image.new("L", size, 0)
    draw = ImageDraw.Draw(img)
    (sx, sy), (ox, oy) = scale, offset
    for shape in shapes:
        # on the nearest pixels: float noise (0.6 + 0.3) must not lose a row
        xy = [(round((px - ox) * sx), round((py - oy) * sy)) for px, py in shape]
        if not xy:
            continue
        if filled and len(xy) >= 3:
            draw.polygon(xy, fill=1)
        elif len(xy) == 1:
            draw.point(xy, fill=1)
        else:
            draw.line(xy + (xy[:1] if closed else []), fill=1, width=thickness)
    return np.asarray(img) > 0


def _draw_polyline(codes: np.ndarray, poly: Any, code: int, thickness: int) -> None:
    height, width = codes.shape
    drawn = _shapes_mask(poly.points, poly.closed, poly.filled, (width, height),
                         (width, height), thickness=thickness)  # fmt: skip
    codes[drawn] = code


# -- reading regions back ------------------------------------------------------------


def _region_box(region: np.ndarray, width: int, height: int,
                offset: tuple[int, int] = (0, 0)) -> tuple[list[float], np.ndarray]:  # fmt: skip
    """``(box, cropped mask)`` of the pixels set in ``region`` (a frame-sized bool mask)."""
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1], cols[0], cols[-1]
    box = [(x0 + offset[0]) / width, (y0 + offset[1]) / height, (x1 - x0) / width,
           (y1 - y0) / height]  # fmt: skip
    return [float(v) for v in box], region[y0 : y1 + 1, x0 : x1 + 1].copy()


def _regions(codes: np.ndarray, mask_targets: Any, mask_types: Any,
             rgb: bool) -> list[tuple[str, list[np.ndarray]]]:  # fmt: skip
    """``(label, [bool masks])`` per target present in ``codes``: one mask for stuff,
    one per 8-connected region for things."""
    if mask_targets is None:
        present = [int(c) for c in np.unique(codes) if c != 0]
        targets = {c: _colour(c) if rgb else str(c) for c in present}
    else:
        if not isinstance(mask_targets, dict):
            raise FieldValueError(f"mask_targets must be a dict of pixel value -> label; "
                                  f"got {mask_targets!r:.80}")  # fmt: skip
        targets = {_code(k, "mask_targets"): v for k, v in mask_targets.items()}
    out = []
    for code, label in targets.items():
        where = codes == code
        if not where.any():
            continue
        kind = _mask_type(mask_types, code, rgb)
        if kind == "stuff":
            out.append((str(label), [where]))
            continue
        from scipy import ndimage

        labelled, n = ndimage.label(where, structure=np.ones((3, 3), dtype=bool))
        out.append((str(label), [labelled == i for i in range(1, n + 1)]))
    return out


def _mask_type(mask_types: Any, code: int, rgb: bool) -> str:
    kind = mask_types
    if isinstance(mask_types, dict):
        by_code = {_code(k, "mask_types"): v for k, v in mask_types.items()}
        kind = by_code.get(code, "stuff")
    if kind not in ("stuff", "thing"):
        raise FieldValueError(f"mask_types must be 'stuff', 'thing' or a dict of target -> "
                              f"one of them; got {kind!r}")  # fmt: skip
    return kind


def _trace(region: np.ndarray) -> list[tuple[int, int]]:
    """The outer boundary of one 8-connected region: its pixels ``(x, y)`` in order
    (Moore-neighbour tracing, stopped by Jacob's criterion)."""
    padded = np.pad(region, 1)
    start = divmod(int(np.argmax(padded)), padded.shape[1])  # first in raster order
    contour = [start]
    cur, look = start, 0  # the west neighbour of the first pixel is background
    first_move = None
    for _ in range(4 * padded.size):
        for k in range(8):
            d = (look + k) % 8
            dy, dx = _NEIGHBOURS[d]
            if padded[cur[0] + dy, cur[1] + dx]:
                break
        else:
            break  # a lone pixel
        if cur == start:
            if first_move is None:
                first_move = d
            elif d == first_move:
                break  # back where we began, going the same way
        cur = (cur[0] + dy, cur[1] + dx)
        contour.append(cur)
        look = (d + 5) % 8
    if len(contour) > 1 and contour[-1] == start:
        contour.pop()
    return [(x - 1, y - 1) for y, x in contour]


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """A closed ring simplified by Douglas-Peucker within ``tolerance`` pixels."""
    if tolerance <= 0 or len(points) < 4:
        return points
    far = int(np.argmax(np.hypot(*(points - points[0]).T)))
    if far == 0:
        return points[:1]
    ring = np.vstack([points, points[:1]])
    keep = np.zeros(len(ring), dtype=bool)
    keep[[0, far, len(ring) - 1]] = True
    stack = [(0, far), (far, len(ring) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        seg, rel = ring[j] - ring[i], ring[i + 1 : j] - ring[i]
        norm = float(np.hypot(*seg))
        dist = (np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm if norm
                else np.hypot(rel[:, 0], rel[:, 1]))  # fmt: skip
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return ring[keep][:-1]


def _contours(region: np.ndarray, tolerance: float) -> list[list[tuple[float, float]]]:
    """The simplified outer contours (pixel coordinates) of each 8-connected part."""
    from scipy import ndimage

    labelled, n = ndimage.label(region, structure=np.ones((3, 3), dtype=bool))
    out = []
    for i in range(1, n + 1):
        ring = np.asarray(_trace(labelled == i), dtype=float)
        out.append([(float(x), float(y)) for x, y in _simplify(ring, tolerance)])
    return out


def _relative(shapes: list[Any], width: int, height: int) -> list[list[list[float]]]:
    return [[[x / width, y / height] for x, y in s] for s in shapes]


# -- the mixins --------------------------------------------------------------------------


def _labels() -> Any:
    from . import labels  # the classes, at call time (labels imports this module)

    return labels


def _check_frame(frame_size: Any, what: str) -> tuple[int, int]:
    ok = isinstance(frame_size, (list, tuple)) and len(frame_size) == 2
    if not ok or not all(isinstance(v, (int, np.integer)) and v > 0 for v in frame_size):
        raise FieldValueError(f"{what} takes frame_size=(width, height) in pixels; "
                              f"got {frame_size!r}")  # fmt: skip
    return int(frame_size[0]), int(frame_size[1])


class DetectionConversions:
    """``to_polyline`` and ``to_segmentation`` of :class:`~dataset_core.labels.Detection`."""

    def to_polyline(self: Any, tolerance: float = DEFAULT_TOLERANCE,
                    filled: bool = True) -> Polyline:  # fmt: skip
        """The detection as a closed polyline: the traced outline of its mask, or
        its box when it has none. Attributes and tags carry over; the id is new."""
        x, y, w, h = self.bounding_box or (0.0, 0.0, 0.0, 0.0)
        inst = self.get_mask()
        if inst is None or not np.asarray(inst).any():
            shapes = [[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]]
        else:
            inst = np.asarray(inst) > 0
            rows, cols = inst.shape
            sx, sy = w / max(cols - 1, 1), h / max(rows - 1, 1)
            shapes = [[[x + px * sx, y + py * sy] for px, py in c]
                      for c in _contours(inst, tolerance)]  # fmt: skip
        return _labels().Polyline(**_carried(self, ("bounding_box", "mask", "mask_path")),
                                  points=shapes, closed=True, filled=filled)  # fmt: skip

    def to_segmentation(self: Any, mask: np.ndarray | None = None, frame_size: Any = None,
                        target: Any = DEFAULT_TARGET) -> Segmentation:  # fmt: skip
        """A segmentation with this detection drawn as ``target`` (an int, or a
        colour for an RGB mask) on ``mask`` or a blank ``frame_size`` frame."""
        what = "Detection.to_segmentation"
        codes = _canvas(mask, frame_size, _is_colour(target), what)
        if self.bounding_box is not None:
            _draw_detection(codes, self, _code(target, what))
        rgb = _is_colour(target) or (mask is not None and np.asarray(mask).ndim == 3)
        return _labels().Segmentation(mask=_mask_of(codes, rgb))


class DetectionsConversions:
    """``to_polylines`` and ``to_segmentation`` of :class:`~dataset_core.labels.Detections`."""

    def to_polylines(self: Any, tolerance: float = DEFAULT_TOLERANCE,
                     filled: bool = True) -> Polylines:  # fmt: skip
        """Each detection as a polyline (see :meth:`DetectionConversions.to_polyline`)."""
        return _labels().Polylines(
            polylines=[d.to_polyline(tolerance=tolerance, filled=filled) for d in self.detections]
        )

    def to_segmentation(self: Any, mask: np.ndarray | None = None, frame_size: Any = None,
                        mask_targets: dict[Any, str] | None = None) -> Segmentation:  # fmt: skip
        """A segmentation with each detection drawn as its label's target.

        Args:
            mask: a mask to draw on (else a blank frame of ``frame_size``).
            frame_size: ``(width, height)`` of the frame.
            mask_targets: pixel value (int, or colour for an RGB mask) -> label;
                detections of other labels are left out. Default: every
                detection drawn as 255.

        Example:
            >>> dets.to_segmentation(frame_size=(640, 480), mask_targets={1: "cat"})
        """
        return _segmentation(self.detections, mask, frame_size, mask_targets,
                             "Detections.to_segmentation", _draw_detection)  # fmt: skip


class PolylineConversions:
    """``to_detection`` and ``to_segmentation`` of :class:`~dataset_core.labels.Polyline`."""

    def to_detection(self: Any, mask_size: Any = None, frame_size: Any = None) -> Detection:
        """The polyline as a detection: the box around its points and, with
        ``frame_size`` (or ``mask_size``, the mask's ``(width, height)``), an
        instance mask of the shapes drawn (filled if the polyline is)."""
        carried = _carried(self, ("points", "closed", "filled"))
        points = [p for shape in self.points for p in shape]
        det_cls = _labels().Detection
        if not points:
            return det_cls(**carried)
        if frame_size is not None:
            width, height = _check_frame(frame_size, "Polyline.to_detection")
            drawn = _shapes_mask(self.points, self.closed, self.filled, (width, height),
                                 (width, height))  # fmt: skip
            if drawn.any():
                box, inst = _region_box(drawn, width, height)
                return det_cls(**carried, bounding_box=box, mask=inst)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, y0 = min(max(min(xs), 0.0), 1.0), min(max(min(ys), 0.0), 1.0)
        x1, y1 = min(max(max(xs), x0), 1.0), min(max(max(ys), y0), 1.0)
        box = [x0, y0, x1 - x0, y1 - y0]
        if mask_size is None:
            return det_cls(**carried, bounding_box=box)
        mw, mh = _check_frame(mask_size, "Polyline.to_detection mask_size")
        scale = ((mw - 1) / (x1 - x0) if x1 > x0 else 0.0, (mh - 1) / (y1 - y0) if y1 > y0 else 0.0)
        inst = _shapes_mask(self.points, self.closed, self.filled, (mw, mh), scale, (x0, y0))
        return det_cls(**carried, bounding_box=box, mask=inst)

    def to_segmentation(self: Any, mask: np.ndarray | None = None, frame_size: Any = None,
                        target: Any = DEFAULT_TARGET,
                        thickness: int = 1) -> Segmentation:  # fmt: skip
        """A segmentation with this polyline drawn as ``target`` (filled if it is,
        else lines ``thickness`` pixels wide) on ``mask`` or a blank frame."""
        what = "Polyline.to_segmentation"
        codes = _canvas(mask, frame_size, _is_colour(target), what)
        _draw_polyline(codes, self, _code(target, what), thickness)
        rgb = _is_colour(target) or (mask is not None and np.asarray(mask).ndim == 3)
        return _labels().Segmentation(mask=_mask_of(codes, rgb))


class PolylinesConversions:
    """``to_detections`` and ``to_segmentation`` of :class:`~dataset_core.labels.Polylines`."""

    def to_detections(self: Any, mask_size: Any = None, frame_size: Any = None) -> Detections:
        """Each polyline as a detection (see :meth:`PolylineConversions.to_detection`).

        Example:
            >>> polylines.to_detections(frame_size=(640, 480))
        """
        return _labels().Detections(detections=[
            p.to_detection(mask_size=mask_size, frame_size=frame_size) for p in self.polylines
        ])  # fmt: skip

    def to_segmentation(self: Any, mask: np.ndarray | None = None, frame_size: Any = None,
                        mask_targets: dict[Any, str] | None = None,
                        thickness: int = 1) -> Segmentation:  # fmt: skip
        """A segmentation with each polyline drawn as its label's target (as
        :meth:`DetectionsConversions.to_segmentation`)."""

        def draw(codes: np.ndarray, poly: Any, code: int) -> None:
            _draw_polyline(codes, poly, code, thickness)

        return _segmentation(self.polylines, mask, frame_size, mask_targets,
                             "Polylines.to_segmentation", draw)  # fmt: skip


def _segmentation(labels: list[Any], mask: Any, frame_size: Any, mask_targets: Any,
                  what: str, draw: Any) -> Segmentation:  # fmt: skip
    if mask_targets is None:
        mask_targets = {DEFAULT_TARGET: None}
        by_label = None
    else:
        if not isinstance(mask_targets, dict):
            raise FieldValueError(f"{what}: mask_targets must be a dict of pixel value -> "
                                  f"label; got {mask_targets!r:.80}")  # fmt: skip
        by_label = {v: _code(k, what) for k, v in mask_targets.items()}
    drawn_on_rgb = mask is not None and np.asarray(mask).ndim == 3
    rgb = drawn_on_rgb or any(_is_colour(k) for k in mask_targets)
    codes = _canvas(mask, frame_size, rgb, what)
    for label in labels:
        code = DEFAULT_TARGET if by_label is None else by_label.get(label.label)
        if code is not None:
            draw(codes, label, code)
    return _labels().Segmentation(mask=_mask_of(codes, rgb))


class SegmentationConversions:
    """``to_detections`` and ``to_polylines`` of :class:`~dataset_core.labels.Segmentation`."""

    def _codes(self: Any, what: str) -> tuple[np.ndarray, bool]:
        mask = self.get_mask()
        if mask is None:
            raise FieldValueError(f"{what}: the segmentation has neither a mask nor a mask_path")
        mask = np.asarray(mask)
        return _codes_of(mask), mask.ndim == 3

    def to_detections(self: Any, mask_targets: dict[Any, str] | None = None,
                      mask_types: Any = "stuff") -> Detections:  # fmt: skip
        """The classes of the mask as detections with instance masks.

        Args:
            mask_targets: pixel value (int, or colour of an RGB mask) -> label;
                only these values are converted. Default: every nonzero value,
                labelled by itself.
            mask_types: ``"stuff"`` (one detection per class), ``"thing"`` (one
                per connected region), or a dict of target -> one of them.

        Example:
            >>> seg.to_detections(mask_targets={1: "cat"}, mask_types="thing")
        """
        codes, rgb = self._codes("Segmentation.to_detections")
        height, width = codes.shape
        dets = []
        for label, regions in _regions(codes, mask_targets, mask_types, rgb):
            for region in regions:
                box, inst = _region_box(region, width, height)
                dets.append(_labels().Detection(label=label, bounding_box=box, mask=inst))
        return _labels().Detections(detections=dets)

    def to_polylines(self: Any, mask_targets: dict[Any, str] | None = None,
                     mask_types: Any = "stuff",
                     tolerance: float = DEFAULT_TOLERANCE) -> Polylines:  # fmt: skip
        """The classes of the mask as closed, filled polylines traced around their
        regions (outer boundaries; holes are not kept), simplified within
        ``tolerance`` pixels. ``mask_targets`` and ``mask_types`` as in
        :meth:`to_detections` (a stuff class is one polyline of several shapes)."""
        codes, rgb = self._codes("Segmentation.to_polylines")
        height, width = codes.shape
        polylines = []
        for label, regions in _regions(codes, mask_targets, mask_types, rgb):
            for region in regions:
                shapes = _relative(_contours(region, tolerance), width, height)
                polylines.append(_labels().Polyline(label=label, points=shapes, closed=True,
                                                    filled=True))  # fmt: skip
        return _labels().Polylines(polylines=polylines)


def _carried(label: Any, drop: tuple[str, ...]) -> dict[str, Any]:
    """The attributes a converted label keeps: label, confidence, tags, dynamic ones."""
    import copy

    skip = {"_id", *drop}
    return {k: copy.deepcopy(v) for k, v in label.__dict__.items()
            if k not in skip and k[0] != "_" and v is not None}  # fmt: skip

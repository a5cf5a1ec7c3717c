"""Conversions between polylines, detections and segmentations (label_conversion.py):
pure numpy/Pillow, no database."""

from __future__ import annotations

import numpy as np
import pytest

import dataset_core as dc

pytestmark = pytest.mark.unit

FRAME = (200, 100)  # width, height


def _square(label="sq", x=0.1, y=0.2, size=0.3, filled=True):
    pts = [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]
    return dc.Polyline(label=label, points=[pts], closed=True, filled=filled, confidence=0.7)


def test_polyline_to_detection_boxes_the_drawn_shape():
    det = _square().to_detection(frame_size=FRAME)
    assert det.label == "sq" and det.confidence == 0.7
    assert det.bounding_box == [0.1, 0.2, 0.3, 0.3]
    assert det.mask.dtype == bool and det.mask.shape == (31, 61) and det.mask.all()
    assert _square().to_detection().mask is None  # no frame: the box only


def test_detection_to_segmentation_and_back_keeps_the_box():
    det = _square().to_detection(frame_size=FRAME)
    seg = det.to_segmentation(frame_size=FRAME, target=7)
    assert seg.mask.shape == (100, 200) and set(np.unique(seg.mask)) == {0, 7}
    back = seg.to_detections(mask_targets={7: "sq"})
    assert [d.label for d in back.detections] == ["sq"]
    assert back.detections[0].bounding_box == det.bounding_box


def test_colour_targets_make_rgb_masks():
    seg = dc.Polylines(polylines=[_square()]).to_segmentation(
        frame_size=FRAME, mask_targets={"#ff6d04": "sq"})  # fmt: skip
    assert seg.mask.shape == (100, 200, 3)
    assert tuple(seg.mask[35, 50]) == (255, 109, 4) and tuple(seg.mask[0, 0]) == (0, 0, 0)
    dets = seg.to_detections(mask_targets={"#ff6d04": "sq"})
    assert dets.detections[0].bounding_box == [0.1, 0.2, 0.3, 0.3]


def test_things_are_connected_regions_stuff_is_one_label_per_class():
    polylines = dc.Polylines(polylines=[_square("a", 0.05, 0.1, 0.2), _square("a", 0.6, 0.5, 0.3)])
    seg = polylines.to_segmentation(frame_size=FRAME, mask_targets={1: "a"})
    things = seg.to_detections(mask_targets={1: "a"}, mask_types="thing")
    stuff = seg.to_detections(mask_targets={1: "a"}, mask_types="stuff")
    assert [d.bounding_box for d in things.detections] == [[0.05, 0.1, 0.2, 0.2],
                                                          [0.6, 0.5, 0.3, 0.3]]  # fmt: skip
    assert len(stuff.detections) == 1
    assert stuff.detections[0].bounding_box == [0.05, 0.1, 0.85, 0.7]
    by_type = seg.to_detections(mask_targets={1: "a"}, mask_types={1: "thing"})
    assert len(by_type.detections) == 2


def test_segmentation_to_polylines_traces_outlines():
    seg = _square().to_segmentation(frame_size=FRAME, target=3)
    polys = seg.to_polylines(mask_targets={3: "sq"}, tolerance=1)
    (poly,) = polys.polylines
    assert poly.label == "sq" and poly.closed and poly.filled
    (shape,) = poly.points
    assert len(shape) == 4  # a square's outline simplifies to its corners
    assert sorted(map(tuple, shape)) == [(0.1, 0.2), (0.1, 0.5), (0.4, 0.2), (0.4, 0.5)]


def test_default_targets_are_the_values_present():
    mask = np.zeros((10, 10), np.uint8)
    mask[1:3, 1:3] = 4
    mask[6:9, 5:9] = 9
    dets = dc.Segmentation(mask=mask).to_detections()
    assert [d.label for d in dets.detections] == ["4", "9"]
    assert dets.detections[1].bounding_box == [0.5, 0.6, 0.3, 0.2]


def test_detection_without_mask_becomes_its_box_polyline():
    det = dc.Detection(label="d", bounding_box=[0.25, 0.5, 0.5, 0.25], tags=["x"])
    poly = det.to_polyline()
    assert poly.label == "d" and poly.tags == ["x"] and poly.id != det.id
    assert poly.points == [[[0.25, 0.5], [0.75, 0.5], [0.75, 0.75], [0.25, 0.75]]]
    dets = dc.Detections(detections=[det])
    assert dets.to_polylines().polylines[0].points == poly.points


def test_detection_mask_is_traced_into_the_box():
    mask = np.zeros((11, 21), bool)
    mask[:, :11] = True  # the left half of the box
    det = dc.Detection(label="d", bounding_box=[0.2, 0.2, 0.4, 0.2], mask=mask)
    (shape,) = det.to_polyline(tolerance=0.5).points
    xs = [p[0] for p in shape]
    assert min(xs) == pytest.approx(0.2) and max(xs) == pytest.approx(0.4)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: dc.Detection(label="a", bounding_box=[0, 0, 1, 1]).to_segmentation(),
         "needs frame_size"),
        (lambda: dc.Segmentation().to_detections(), "neither a mask nor a mask_path"),
        (lambda: dc.Segmentation(mask=np.ones((2, 2), np.uint8)).to_detections(
            mask_types="blob"), "mask_types must be"),
        (lambda: dc.Detections().to_segmentation(frame_size=FRAME, mask_targets={"#12": "a"}),
         "not a colour"),
        (lambda: _square().to_detection(frame_size=(0, 10)), "frame_size=\\(width, height\\)"),
    ],
)  # fmt: skip
def test_bad_conversion_arguments_are_one_clear_error(call, match):
    with pytest.raises(dc.FieldValueError, match=match):
        call()

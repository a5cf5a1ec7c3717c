"""Object similarity: compute_similarity(patches_field=...) indexes labels, not images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import brain
import dataset_core as dc
from brain.errors import BrainError

#: no two labels at the same angular distance from another: orders have no ties
ANGLES = np.array([0, 0.1, 0.35, 0.65, 1.0, 1.5])


@pytest.fixture
def objects(database):
    """Two samples, 4 + 2 detections; label i's embedding is at angle ANGLES[i]."""
    ds = dc.Dataset("objects")
    names = [["cat", "dog", "rabbit", "squirrel"], ["cat", "dog"]]
    ds.add_samples(
        [
            dc.Sample(
                f"/img{i}.png", gt=dc.Detections(detections=[dc.Detection(label=n) for n in ns])
            )
            for i, ns in enumerate(names)
        ]
    )
    label_ids = [i for ids in ds.values("gt.detections.id") for i in ids]
    rows = np.stack([np.cos(ANGLES), np.sin(ANGLES)], axis=1)
    sample_ids = ds.values("id")
    embeddings = {sample_ids[0]: rows[:4], sample_ids[1]: rows[4:]}  # FiftyOne's form
    brain.compute_similarity(ds, patches_field="gt", embeddings=embeddings, brain_key="obj")
    return ds, label_ids


def test_patches_sort_by_the_similarity_of_their_objects(objects):
    ds, label_ids = objects
    patches = ds.to_patches("gt")
    assert patches.list_brain_runs() == ["obj"]  # the runs of the dataset they come from
    near = patches.sort_by_similarity(label_ids[2])
    assert near.values("id") == [label_ids[i] for i in (2, 1, 3, 0, 4, 5)]
    far = patches.sort_by_similarity(label_ids[2], reverse=True)
    assert far.values("id") == near.values("id")[::-1]
    assert patches.sort_by_similarity(label_ids[0], k=2).values("gt.label") == ["cat", "dog"]


def test_the_dataset_keeps_the_nearest_objects_and_orders_their_samples(objects):
    ds, label_ids = objects
    view = ds.sort_by_similarity(label_ids[5], k=3, brain_key="obj")
    assert view.count("gt.detections") == 3
    # nearest first: label 5 and 4 (second sample), then 3 (first sample)
    assert view.values("gt.detections.id") == [[label_ids[4], label_ids[5]], [label_ids[3]]]
    assert ds.count("gt.detections") == 6  # the dataset keeps its labels
    view = ds.sort_by_similarity(label_ids[0], k=2, brain_key="obj", dist_field="dist")
    assert view.values("gt.detections.dist")[0][0] == pytest.approx(0.0, abs=1e-6)


def test_a_view_answers_with_its_own_objects(objects):
    ds, label_ids = objects
    cats = ds.filter_labels("gt", dc.F("label") == "cat")
    got = cats.sort_by_similarity(label_ids[1], brain_key="obj")
    assert got.values("gt.detections.label") == [["cat"], ["cat"]]
    assert got.count("gt.detections") == 2


def test_crops_are_embedded_when_no_embeddings_are_given(database, tmp_path):
    # one image of three tiles: the first and the last are the same pixels
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    path = tmp_path / "tiles.png"
    Image.fromarray(np.concatenate([a, b, a], axis=1)).save(path)
    third = 1 / 3
    boxes = [[0, 0, third, 1], [third, 0, third, 1], [2 * third, 0, third, 1]]
    ds = dc.Dataset("crops")
    dets = [dc.Detection(label=str(i), bounding_box=box) for i, box in enumerate(boxes)]
    ds.add_sample(dc.Sample(str(path), gt=dc.Detections(detections=dets)))
    brain.compute_similarity(ds, patches_field="gt", brain_key="crops", progress=False)
    ids = ds.values("gt.detections.id")[0]
    order = ds.to_patches("gt").sort_by_similarity(ids[0], brain_key="crops").values("id")
    assert set(order[:2]) == {ids[0], ids[2]} and order[2] == ids[1]  # identical tiles: nearest


def test_bad_inputs_fail_with_one_clear_error(objects):
    ds, _ = objects
    with pytest.raises(BrainError, match=r"embeddings\[.*\] must be \(4, D\)"):
        brain.compute_similarity(ds, patches_field="gt", embeddings={}, brain_key="x")
    with pytest.raises(BrainError, match=r"must be \(6, D\), one row per label"):
        brain.compute_similarity(ds, patches_field="gt", embeddings=np.zeros((2, 3)))
    ds.add_sample_field("clf", dc.EmbeddedDocumentField, embedded_doc_type=dc.Classification)
    with pytest.raises(BrainError, match="patches_field must be a label list field"):
        brain.compute_similarity(ds, patches_field="clf", embeddings=np.zeros((0, 2)))

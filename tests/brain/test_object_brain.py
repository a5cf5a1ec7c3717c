"""Object-level brain: uniqueness, duplicates, outliers, clusters and label issues of the
objects of a Detections field, written into the labels (brain/objects.py, brain/crops.py).

The dataset (tests/brain/object_data.py) is real photo crops pasted onto a real
background, with a duplicated object, a noise object, a tiny box and a flipped label.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from PIL import Image

import brain
import dataset_core as dc
from brain import decode
from brain.crops import embed_crops
from brain.errors import BrainError
from brain.objects import object_neighbors
from tests.brain.object_data import DUPLICATE, FLIPPED, NOISE, TINY

GT = "ground_truth"


@pytest.fixture
def decodes(monkeypatch, tmp_path):
    """Counts every image decode, also in DataLoader worker processes (a line per call)."""
    log = tmp_path / "decodes.log"
    log.touch()
    real = decode.load_image

    def counting(path, *args, **kwargs):
        with open(log, "a") as f:
            f.write(f"{path}\n")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(decode, "load_image", counting)
    return lambda: Counter(log.read_text().split())


def per_object(ds: dc.Dataset, attr: str) -> dict[str, object]:
    """Object name -> its label's ``attr``, for every detection of the dataset."""
    names = ds.values(f"{GT}.detections.name")
    values = ds.values(f"{GT}.detections.{attr}")
    return {n: v for ns, vs in zip(names, values, strict=True) for n, v in zip(ns, vs, strict=True)}


def label_ids(ds: dc.Dataset) -> dict[str, str]:
    """Label id -> object name."""
    return {v: k for k, v in per_object(ds, "id").items()}


def test_every_object_gets_its_uniqueness_in_its_label(objects, capsys):
    scores = brain.compute_uniqueness(objects, patches_field=GT, progress=False)
    got = per_object(objects, "uniqueness")
    assert len(scores) == len(got) == 18
    assert got[TINY] is None  # skipped: too small to embed
    assert "Skipped 1 of 18 objects smaller than 8 px" in capsys.readouterr().out
    scored = {n: v for n, v in got.items() if v is not None}
    assert len(scored) == 17 and max(scored.values()) == pytest.approx(1.0)
    # the object pasted into two images: the two least unique objects
    assert set(sorted(scored, key=scored.get)[:2]) == {DUPLICATE, "rocket_1"}
    assert sorted(scored, key=scored.get)[-1] == NOISE
    info = objects.get_brain_info(f"{GT}_uniqueness")
    assert info.config["patches_field"] == GT and info.config["brain_key"] == f"{GT}_sim"
    # the image-level field and run are untouched
    assert "uniqueness" not in objects.get_field_schema()
    assert "uniqueness" not in objects.list_brain_runs()
    # the patches view sorts by it
    patches = objects.to_patches(GT)
    assert patches.sort_by(f"{GT}.uniqueness", reverse=True).first()[GT].name == NOISE


def test_an_object_pasted_into_two_images_is_a_near_duplicate(objects):
    index = brain.find_approximate_duplicates(objects, patches_field=GT, progress=False)
    names = label_ids(objects)
    groups = [{names[rep], *(names[d] for d, _ in dups)}
              for rep, dups in index.neighbors_map.items()]  # fmt: skip
    assert groups == [{"rocket_1", DUPLICATE}]
    group_ids = per_object(objects, "approx_dup_group_id")
    rep = per_object(objects, "id")["rocket_1"]
    assert group_ids["rocket_1"] == group_ids[DUPLICATE] == rep
    assert sum(v is not None for v in group_ids.values()) == 2
    view = objects.load_saved_view(f"{GT}_approx_dup_view")
    assert sorted(n for ns in view.values(f"{GT}.detections.name") for n in ns) == sorted(
        ["rocket_1", DUPLICATE]
    )
    assert objects.count(f"{GT}.detections") == 18  # the dataset keeps every object
    assert f"{GT}_duplicates" in objects.list_brain_runs()


def test_a_flipped_label_ranks_high_among_label_issues(objects):
    res = brain.compute_label_issues(objects, patches_field=GT, progress=False)
    names = label_ids(objects)
    flagged = [names[i] for i in res.flagged]
    # the horse labelled cat is among the two worst (the other: the one-of-a-kind noise)
    assert FLIPPED in flagged[:2]
    assert per_object(objects, "suggested_label")[FLIPPED] == "horse"
    scores = per_object(objects, "label_issue_score")
    assert scores[FLIPPED] > 0.9
    assert all(scores[f"cat_{n}"] < 0.5 for n in range(3))  # cats agree with cats
    assert all(scores[f"{c}_{n}"] < 0.5 for c in ("coffee", "astronaut") for n in range(3))
    tagged = objects.select_labels(tags="label_issue").values(f"{GT}.detections.name")
    assert FLIPPED in {n for ns in tagged for n in ns}
    assert "label_issue_score" not in objects.get_field_schema()  # no sample-level field


def test_the_noise_object_is_the_top_outlier(objects):
    res = brain.compute_outliers(objects, patches_field=GT, lower_threshold=0.05, progress=False)
    names = label_ids(objects)
    assert [names[i] for i in res.outlier_ids] == [NOISE]
    tagged = objects.select_labels(tags="outlier").values(f"{GT}.detections.name")
    assert [n for ns in tagged for n in ns] == [NOISE]
    scores = per_object(objects, "outlier_score")
    assert scores[TINY] is None and max(v for v in scores.values() if v) == scores[NOISE]
    assert objects.count_sample_tags().get("outlier") is None  # objects tagged, not images


def test_components_join_the_duplicated_object(objects):
    res = brain.compute_clusters(objects, patches_field=GT, threshold=0.9, progress=False)
    comp = per_object(objects, "component_id")
    assert comp["rocket_1"] is not None and comp["rocket_1"] == comp[DUPLICATE]
    assert list(res.sizes) == [2]
    assert f"{GT}_component_id" in objects.list_brain_runs()


def test_all_analyses_share_one_crop_pass_decoding_each_image_once(objects, decodes):
    brain.compute_uniqueness(objects, patches_field=GT, progress=False)
    brain.compute_outliers(objects, patches_field=GT)
    brain.compute_clusters(objects, patches_field=GT)
    brain.compute_label_issues(objects, patches_field=GT)
    brain.find_approximate_duplicates(objects, patches_field=GT)
    counts = decodes()
    assert sorted(counts) == sorted(objects.values("filepath")) and set(counts.values()) == {1}
    runs = objects.list_brain_runs(type="similarity")
    assert runs == [f"{GT}_sim"]


def test_a_patches_view_decodes_each_parent_image_once(objects, decodes):
    patches = objects.to_patches(GT)
    assert len(patches) == 18  # one row, one path, per object
    index = brain.compute_similarity(patches, patches_field=GT, brain_key="obj", progress=False)
    counts = decodes()
    assert len(counts) == 6 and set(counts.values()) == {1}, counts
    assert len(index.sample_ids) == 18
    # the same vectors as from the dataset, whose rows list each image once
    whole = brain.compute_similarity(objects, patches_field=GT, brain_key="obj2", progress=False)
    rows = {i: n for n, i in enumerate(whole.sample_ids)}
    order = [rows[i] for i in index.sample_ids]
    np.testing.assert_allclose(index.embeddings, whole.embeddings[order], atol=1e-5)


def test_analyses_through_a_patches_view_write_into_the_source_labels(objects):
    patches = objects.to_patches(GT)
    brain.compute_uniqueness(patches, patches_field=GT, progress=False)
    got = per_object(objects, "uniqueness")
    assert got[TINY] is None and sum(v is not None for v in got.values()) == 17
    brain.compute_outliers(patches, patches_field=GT, lower_threshold=0.05)
    tagged = objects.select_labels(tags="outlier").values(f"{GT}.detections.name")
    assert [n for ns in tagged for n in ns] == [NOISE]  # the source's label is tagged


def test_objects_added_after_the_run_are_named_not_scored(objects, capsys):
    brain.compute_uniqueness(objects, patches_field=GT, progress=False)
    sample = objects.first()
    sample[GT].detections.append(dc.Detection(label="cat", bounding_box=[0.5, 0.5, 0.3, 0.3]))
    sample.save()
    capsys.readouterr()
    brain.compute_uniqueness(objects, patches_field=GT)
    assert "has no embedding for 1 of 19 objects" in capsys.readouterr().out
    assert objects.first()[GT].detections[-1]["uniqueness"] is None


def test_a_view_scores_only_the_objects_it_shows(objects):
    view = objects.filter_labels(GT, dc.F("name") != NOISE)
    brain.compute_outliers(view, patches_field=GT, progress=False)
    scores = per_object(objects, "outlier_score")
    assert scores[NOISE] is None and sum(v is not None for v in scores.values()) == 16
    assert objects.count(f"{GT}.detections") == 18


def test_one_shared_graph_is_used_as_given(objects, decodes):
    nb = object_neighbors(objects, GT, k=20, progress=False)
    assert sum(decodes().values()) == 6
    objects.delete_brain_run(f"{GT}_sim")  # nothing left to find: only nb serves
    brain.compute_uniqueness(objects, patches_field=GT, neighbors=nb)
    brain.compute_label_issues(objects, patches_field=GT, neighbors=nb)
    brain.compute_outliers(objects, patches_field=GT, neighbors=nb)
    assert sum(decodes().values()) == 6  # no second crop pass
    assert f"{GT}_sim" not in objects.list_brain_runs()
    assert per_object(objects, "suggested_label")[FLIPPED] == "horse"


def test_tiny_boxes_are_skipped_and_counted_and_min_size_is_a_choice(scenes):
    root, layout = scenes
    paths = [str(root / "planted.jpg")]
    boxes = [[b for _, _, b in layout["planted.jpg"]]]
    res = embed_crops(paths, boxes, progress=False)
    assert list(res.skipped) == [2] and "6 px object (< 8 px)" in res.skipped[2]
    assert res.failures == {} and res.ok.tolist() == [True, True, False]
    assert np.isnan(res.embeddings[2]).all()
    res = embed_crops(paths, boxes, progress=False, min_size=4)
    assert res.skipped == {} and res.ok.all()


def test_a_margin_brings_the_surroundings_into_the_crop(tmp_path):
    # the same object on two different backgrounds: identical crops without a margin
    rng = np.random.default_rng(1)
    obj = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    paths = []
    for n, colour in enumerate(((0, 0, 0), (255, 255, 255))):
        canvas = np.full((192, 192, 3), colour, dtype=np.uint8)
        canvas[64:128, 64:128] = obj
        paths.append(str(tmp_path / f"{n}.png"))
        Image.fromarray(canvas).save(paths[-1])
    box = [[[1 / 3, 1 / 3, 1 / 3, 1 / 3]]] * 2

    def distance(margin: float) -> float:
        e = embed_crops(paths, box, progress=False, margin=margin).embeddings
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        return float(1 - e[0] @ e[1])

    assert distance(0.0) == pytest.approx(0.0, abs=1e-4)
    assert distance(1.0) > 0.05  # a box's side of context on each side


def test_bad_inputs_fail_with_one_clear_error(objects):
    objects.add_sample_field("clf", dc.EmbeddedDocumentField, embedded_doc_type=dc.Classification)
    with pytest.raises(BrainError, match="patches_field must be a label list field"):
        brain.compute_outliers(objects, patches_field="clf")
    with pytest.raises(BrainError, match="label_field='clf' must be left out"):
        brain.compute_label_issues(objects, label_field="clf", patches_field=GT)
    with pytest.raises(BrainError, match="verify=True needs pixel thumbnails"):
        brain.find_approximate_duplicates(objects, patches_field=GT, verify=True)
    with pytest.raises(BrainError, match="margin and min_size must be >= 0"):
        embed_crops(["x.jpg"], [[[0, 0, 1, 1]]], margin=-0.1)
    emb = np.random.default_rng(0).normal(size=(18, 8))
    brain.compute_similarity(objects, brain_key="img", embeddings=emb[:6])
    with pytest.raises(BrainError, match="'img' indexes the images, not the objects"):
        brain.compute_uniqueness(objects, patches_field=GT, brain_key="img")
    with pytest.raises(BrainError, match="Cannot write object scores into the label attribute"):
        brain.compute_uniqueness(objects, uniqueness_field="label", patches_field=GT,
                                 embeddings=emb)  # fmt: skip
    with pytest.raises(BrainError, match=r"must be \(18, D\), one row per label"):
        brain.compute_uniqueness(objects, patches_field=GT, embeddings=emb[:3])

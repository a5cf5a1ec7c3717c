"""The public methods the upper floors use instead of the data layer's private ones."""

from __future__ import annotations

import bson
import numpy as np
import pytest

import dataset_core as dc
from dataset_core import id_array
from tests.conftest import write_image


def test_what_the_server_reads_through_public_names(database, tmp_path):
    for i in range(4):
        write_image(tmp_path / f"{i}.png", seed=i, fmt="PNG")
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="pub")
    ids = ds.values("id")
    ds.select(ids[:2]).tag_samples("two")
    assert dc.list_datasets(info=True)[0] | {"created_at": None} == {
        "name": "pub", "media_type": "image", "persistent": True, "created_at": None,
        "num_samples": 4,
    }  # fmt: skip
    view = ds.match_tags("two")
    assert ds.estimated_count() == 4 and view.estimated_count() == 2
    doc = view.find_sample_doc(ids[1], fields={"filepath": 1})
    assert set(doc) == {"_id", "filepath"} and str(doc["_id"]) == ids[1]
    assert view.find_sample_doc(ids[3]) is None  # not in the view
    assert ds.find_sample_doc(filepath=str(tmp_path / "3.png"))["_id"] == ds.values("_id")[3]
    assert ds.find_sample_doc("not-an-id") is None
    assert view.dataset is ds and ds.dataset is ds
    assert ds.describe() == "Dataset 'pub'" and view.describe() == "the view of dataset 'pub'"


def test_position_of_is_the_place_in_the_collections_order(database, tmp_path):
    for i in range(5):
        write_image(tmp_path / f"{i}.png", seed=i, fmt="PNG")
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="pos")
    ids = ds.values("id")
    assert [ds.position_of(i) for i in ids] == [0, 1, 2, 3, 4]
    backwards = ds.sort_by("filepath", reverse=True)
    assert backwards.position_of(ids[0]) == 4
    assert ds.skip(2).position_of(ids[1]) is None  # not in the view
    assert ds.position_of("not-an-id") is None


def test_id_array_lists_the_ids_in_the_views_order(database, tmp_path):
    for i in range(6):
        write_image(tmp_path / f"{i}.png", seed=i, fmt="PNG")
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="ids")
    for coll in (ds, ds.sort_by("filepath", reverse=True), ds.skip(1).limit(3), ds.match_tags("x")):
        arr = coll.id_array()
        assert arr.dtype == np.dtype("V12")
        assert [str(bson.ObjectId(b.tobytes())) for b in arr] == coll.values("id")
        assert np.concatenate([*coll.id_batches(), arr[:0]]).tolist() == arr.tolist()


def test_id_batches_read_other_documents_the_slow_way():
    oid = bson.ObjectId(b"\x00" * 11 + b"\x01")  # trailing zero bytes are kept
    plain = bson.encode({"_id": oid})
    assert len(plain) == 22
    assert id_array._batch_ids(plain * 3).tolist() == [oid.binary] * 3
    mixed = plain + bson.encode({"_id": oid, "extra": 1})
    assert id_array._batch_ids(mixed).tolist() == [oid.binary] * 2
    with pytest.raises(TypeError, match="not an ObjectId"):
        id_array._batch_ids(bson.encode({"_id": "a-string-id"}))

"""set_values: what it refuses, and what values() gives back after it."""

from __future__ import annotations

import numpy as np
import pytest

import dataset_core as fo


@pytest.fixture
def ds(database):
    dataset = fo.Dataset("sv")
    dataset.add_samples([fo.Sample(f"/d/{i}.jpg", n=i) for i in range(3)])
    return dataset


def test_a_new_field_with_expand_schema_false_is_a_value_error(ds):
    with pytest.raises(fo.FieldValueError, match="'score'.*expand_schema=False"):
        ds.set_values("score", [0.1, 0.2, 0.3], expand_schema=False)
    assert "score" not in ds.get_field_schema()
    with pytest.raises(ValueError):  # as add_samples and FiftyOne refuse it
        ds.set_values("score", [0.1, 0.2, 0.3], expand_schema=False)
    ds.set_values("n", [5, 6, 7], expand_schema=False)  # a declared field is fine
    assert ds.values("n") == [5, 6, 7]


def test_values_of_label_arrays_in_lists_are_arrays(ds):
    logits = [np.arange(3, dtype=float) + i for i in range(3)]
    ds.set_values("cls", [
        fo.Classifications(classifications=[fo.Classification(label="a", logits=v)])
        for v in logits
    ])  # fmt: skip
    got = ds.values("cls.classifications.logits")
    assert [type(x[0]) for x in got] == [np.ndarray] * 3
    assert all(np.array_equal(x[0], v) for x, v in zip(got, logits, strict=True))
    one = ds.values("cls.classifications[].logits")
    assert len(one) == 3 and np.array_equal(one[2], logits[2])

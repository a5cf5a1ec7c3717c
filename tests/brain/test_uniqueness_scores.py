"""The uniqueness formula on planted embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from brain.uniqueness import uniqueness_scores

pytestmark = pytest.mark.unit  # no mongod, no model, no browser


def test_outlier_ranks_above_a_duplicate_and_max_is_one():
    rng = np.random.default_rng(0)
    cluster = rng.normal(size=(20, 16)) * 0.1 + 1.0
    dup = cluster[3] + 1e-6
    outlier = -np.ones(16)
    x = np.vstack([cluster, dup, outlier]).astype(np.float32)
    u = uniqueness_scores(x)
    assert u.max() == 1.0 and u.argmax() == 21
    assert u[20] < np.median(u[:20]) and u[3] < np.median(u[:20])
    assert (u >= 0).all()


def test_one_and_two_samples_are_defined():
    assert list(uniqueness_scores(np.ones((1, 4), np.float32))) == [1.0]
    two = uniqueness_scores(np.array([[1, 0], [0, 1]], np.float32))
    assert list(two) == [1.0, 1.0]
    same = uniqueness_scores(np.ones((3, 4), np.float32))
    assert list(same) == [1.0, 1.0, 1.0]


def test_failed_rows_get_nan():
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    x[2] = np.nan
    u = uniqueness_scores(x)
    assert np.isnan(u[2]) and np.nanmax(u) == 1.0

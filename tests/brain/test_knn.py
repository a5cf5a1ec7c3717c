"""kNN backends agree with brute force and handle tiny and broken inputs."""

from __future__ import annotations

import numpy as np
import pytest

from brain.knn import knn_graph, search


def _brute(x: np.ndarray, k: int, metric: str) -> np.ndarray:
    if metric == "cosine":
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        d = 1 - xn @ xn.T
    else:
        d = np.linalg.norm(x[:, None] - x[None], axis=2)
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, :k]


@pytest.mark.parametrize("backend", ["numpy", "faiss"])
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_matches_brute_force(backend, metric):
    x = np.random.default_rng(1).normal(size=(300, 12)).astype(np.float32)
    g = knn_graph(x, k=4, metric=metric, backend=backend, block_bytes=4096)
    np.testing.assert_allclose(g.distances, _brute(x, 4, metric), atol=1e-4)
    assert not (g.indices == np.arange(300)[:, None]).any()  # never itself


@pytest.mark.parametrize("backend", ["numpy", "faiss"])
def test_nan_rows_and_tiny_inputs(backend):
    x = np.random.default_rng(2).normal(size=(3, 5)).astype(np.float32)
    x[1] = np.nan
    g = knn_graph(x, k=3, backend=backend)
    assert list(g.indices[1]) == [-1, -1, -1]
    assert g.indices[0, 0] == 2 and g.indices[2, 0] == 0
    assert g.indices[0, 1] == -1 and np.isinf(g.distances[0, 1])


def test_search_finds_the_query_itself_first():
    x = np.random.default_rng(3).normal(size=(50, 8)).astype(np.float32)
    d, i = search(x, x[[5, 9]], k=2)
    assert list(i[:, 0]) == [5, 9] and np.allclose(d[:, 0], 0, atol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    ({"k": 0}, "k must be at least 1"),
    ({"metric": "manhattan"}, "Unknown metric"),
    ({"backend": "annoy"}, "Unknown kNN backend"),
])  # fmt: skip
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        knn_graph(np.zeros((4, 3), np.float32), **kwargs)

"""kNN backends agree with brute force and handle tiny and broken inputs."""

from __future__ import annotations

import numpy as np
import pytest

from brain._algos.knn import knn_graph, search

pytestmark = pytest.mark.unit  # no mongod, no model, no browser


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


def _clustered(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim)).astype(np.float32)
    return centres[rng.integers(0, 20, n)] + 0.5 * rng.normal(size=(n, dim)).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_large_graphs_partition_and_join(metric, monkeypatch):
    from brain._algos import knn

    x = _clustered(3000, 16)
    x[7] = np.nan
    monkeypatch.setattr(knn, "FAISS_EXACT_MAX", 500)  # take the large-N path at 3,000 rows
    g = knn_graph(x, k=5, metric=metric, backend="faiss")
    exact = knn_graph(x, k=5, metric=metric, backend="numpy")
    assert g.backend == "faiss-ivf" and g.indices.shape == (3000, 5)
    ok = np.delete(np.arange(3000), 7)
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(g.indices[ok], exact.indices[ok],
                                                                strict=True)])  # fmt: skip
    assert recall > 0.95
    assert (np.diff(g.distances[ok], axis=1) >= 0).all()  # ascending
    assert not (g.indices == np.arange(3000)[:, None]).any() and not (g.indices == 7).any()
    assert list(g.indices[7]) == [-1] * 5
    found = g.indices[ok] >= 0
    np.testing.assert_allclose(np.sort(g.distances[ok][found]), np.sort(
        _distances(x, ok, g.indices[ok], metric)[found]), atol=1e-4)  # fmt: skip


def _distances(x: np.ndarray, rows: np.ndarray, idx: np.ndarray, metric: str) -> np.ndarray:
    a, b = x[rows][:, None, :], x[np.maximum(idx, 0)]
    if metric == "euclidean":
        return np.linalg.norm(a - b, axis=2)
    an = a / np.linalg.norm(a, axis=2, keepdims=True)
    bn = b / np.linalg.norm(b, axis=2, keepdims=True)
    return 1 - (an * bn).sum(2)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_search_scans_a_large_base_in_chunks(metric, monkeypatch):
    from brain._algos import knn

    x = _clustered(2000, 8, seed=4)
    x[11] = np.nan
    queries = x[[3, 500, 1999]]
    expected = search(x, queries, k=4, metric=metric, backend="numpy")
    monkeypatch.setattr(knn, "FAISS_EXACT_MAX", 100)
    monkeypatch.setattr(knn, "SEARCH_CHUNK", 300)
    d, i = search(x, queries, k=4, metric=metric)
    np.testing.assert_array_equal(i, expected[1])
    np.testing.assert_allclose(d, expected[0], atol=1e-5)
    assert 11 not in i

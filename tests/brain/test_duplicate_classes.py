"""Each image with a copy gets the strongest evidence among its pairs (brain/duplicate_classes.py).

The real-photo cases (a byte copy, a PNG of a JPEG's pixels, a resized copy,
two plain greys) run end to end in tests/brain/test_analyze.py; here, the
rule itself on small real files, without a model or a database.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from brain._algos.neardup import DuplicatePairs
from brain.duplicate_classes import classify

pytestmark = pytest.mark.unit

#: the distance and pixel score of each kind of pair, as neardup.find_pairs keeps them
PIXEL_CONFIRMED = (0.15, 0.99)  # thumbnails agree
EMBEDDING_ONLY = (0.01, 0.2)  # kept for its distance alone: the pixel check failed


def _pairs(*rows: tuple[int, int, tuple[float, float]]) -> DuplicatePairs:
    return DuplicatePairs(
        np.array([(a, b) for a, b, _ in rows], np.int64).reshape(-1, 2),
        np.array([k[0] for _, _, k in rows], np.float32),
        np.array([k[1] for _, _, k in rows], np.float32),
    )


@pytest.fixture
def files(tmp_path):
    """Four real files: 0 and 1 the same pixels as PNGs with different metadata,
    2 other pixels of the same size, 3 a byte copy of 2."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    paths = [str(tmp_path / f"{i}.png") for i in range(4)]
    Image.fromarray(pixels).save(paths[0])
    Image.fromarray(pixels).save(paths[1], dpi=(300, 300))  # new metadata, new bytes
    Image.fromarray(255 - pixels).save(paths[2])
    paths[3] = paths[2]
    return paths


CASES = [
    # (pairs, sha1s, classes)
    pytest.param([], ["a", "b", "c", "c"], [None, None, "same_bytes", "same_bytes"],
                 id="equal sha1, even unpaired"),
    pytest.param([(0, 1, PIXEL_CONFIRMED)], ["a", "b", "c", "d"],
                 ["same_pixels", "same_pixels", None, None], id="decoded pixels equal"),
    pytest.param([(0, 2, PIXEL_CONFIRMED)], ["a", "b", "c", "d"],
                 ["near_duplicate", None, "near_duplicate", None], id="pixels differ"),
    pytest.param([(0, 2, EMBEDDING_ONLY)], ["a", "b", "c", "d"],
                 ["embedding_neighbour", None, "embedding_neighbour", None],
                 id="embeddings only"),
    pytest.param([(0, 2, EMBEDDING_ONLY), (1, 2, PIXEL_CONFIRMED), (2, 3, EMBEDDING_ONLY)],
                 ["a", "b", "c", "c"], ["embedding_neighbour", "near_duplicate", "same_bytes",
                                        "same_bytes"], id="strongest evidence wins"),
    pytest.param([(0, 1, EMBEDDING_ONLY)], ["a", "b", "c", "d"],
                 ["embedding_neighbour"] * 2 + [None] * 2,
                 id="equal pixels, but the pixel check failed: never decoded"),
]  # fmt: skip


@pytest.mark.parametrize("pairs, hashes, expected", CASES)
def test_each_image_gets_its_strongest_class(files, pairs, hashes, expected):
    headers = [(32, 24, "image/png")] * 4
    classes, _ = classify(_pairs(*pairs), hashes, files, headers)
    assert classes == expected


@pytest.mark.parametrize(
    "headers, thumbs, decoded",
    [
        ([(32, 24, "image/png")] * 4, None, 2),
        ([(32, 24, "image/png"), (32, 25, "image/png")] + [None] * 2, None, 0),  # sizes differ
        ([None] * 4, None, 0),  # no header: never decoded
        # one format, thumbnails that differ: the pixels cannot be equal
        ([(32, 24, "image/png")] * 4, np.arange(4 * 4).reshape(4, 2, 2).astype(np.uint8), 0),
        # across formats a JPEG's thumbnail comes from a reduced-scale decode: decoded anyway
        ([(32, 24, "image/png"), (32, 24, "image/jpeg")] + [None] * 2,
         np.arange(4 * 4).reshape(4, 2, 2).astype(np.uint8), 2),
    ],
)  # fmt: skip
def test_only_possible_pixel_copies_are_decoded(files, headers, thumbs, decoded):
    classes, n = classify(_pairs((0, 1, PIXEL_CONFIRMED)), list("abcd"), files, headers, thumbs)
    assert n == decoded
    assert classes[:2] == (["same_pixels"] * 2 if decoded else ["near_duplicate"] * 2)

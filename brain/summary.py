"""The lines :func:`brain.analyze` prints and writes at the top of the report.

fastdup's summary counts "fully identical" images by an embedding bound; ours
says how each count was measured (equal sha1, decoded pixels, the pixel check,
embeddings alone), so no line claims more than was checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from .duplicate_classes import EMBEDDING_NEIGHBOUR_SIMILARITY
from .neighbors import EMBEDDING_ONLY_DISTANCE

#: the quality flags as the summary names them, in its order
FLAG_WORDS = (
    ("blurry", "blurry"),
    ("dark", "dark"),
    ("bright", "bright"),
    ("low_information", "low-information"),
    ("odd_aspect_ratio", "odd aspect ratio"),
)


@dataclass
class SummaryInput:
    """What the summary reports on: the counts of every analysis and their settings."""

    num_images: int
    counts: dict[str, int]
    lower_threshold: float
    cc_threshold: float
    largest_component: int
    splits: list[str]
    has_labels: bool
    visualization: str | None
    #: the Detections field whose objects were analysed, if any
    objects_field: str | None = None


def pct(count: int, n: int) -> str:
    """``count`` as a percentage of ``n``, as the summary prints it (``6.90 %``)."""
    return f"{100.0 * count / n:.2f} %" if n else "0.00 %"


def duplicate_lines(counts: dict[str, int], n: int) -> list[str]:
    """One line per duplicate class (:mod:`brain.duplicate_classes`), strongest first."""
    c = counts
    return [
        f"Found {c['same_bytes']} images with the same bytes as another (equal sha1), "
        f"{pct(c['same_bytes'], n)}",
        f"Found {c['same_pixels']} more with the same pixels as another but different bytes "
        f"(decoded and compared), {pct(c['same_pixels'], n)}",
        f"Found {c['near_duplicate']} more confirmed near-duplicates (pixel check), "
        f"{pct(c['near_duplicate'], n)}",
        f"Found {c['embedding_neighbour']} more embedding neighbours only (cosine similarity "
        f">= {EMBEDDING_NEIGHBOUR_SIMILARITY:.3f}; the pixel check did not confirm them), "
        f"{pct(c['embedding_neighbour'], n)}",
    ]


def summary_lines(s: SummaryInput) -> list[str]:
    """Every line of the summary, one finding per line."""
    n, counts = s.num_images, s.counts
    lines = duplicate_lines(counts, n)
    lines.append(f"Found {counts['outliers']} outliers (lowest {s.lower_threshold * 100:g} %), "
                 f"{pct(counts['outliers'], n)}")  # fmt: skip
    if counts["components"]:
        lines.append(f"Found {counts['components']} clusters of similar images (d>"
                     f"{s.cc_threshold:.3f}); the largest has {s.largest_component}")  # fmt: skip
    if s.has_labels:
        lines.append(f"Found {counts['label_issues']} images whose label disagrees with their "
                     f"nearest neighbours, {counts['confusing_pairs']} near-duplicate pairs with "
                     "different labels")  # fmt: skip
    if len(s.splits) >= 2:
        lines.append(f"Found {counts['leaks']} {'/'.join(s.splits)} leaks")
    lines.append("Found " + ", ".join(f"{counts.get(k, 0)} {word}" for k, word in FLAG_WORDS)
                 + " images")  # fmt: skip
    if s.visualization:
        lines.append(f"2-D map: {s.visualization} (brain run 'visualization')")
    if s.objects_field is not None:
        lines += object_lines(counts, s.objects_field, s.lower_threshold)
    return lines


def object_lines(counts: dict[str, int], field: str, lower_threshold: float) -> list[str]:
    """The lines of the object analyses of ``field`` (:mod:`brain.objects`)."""
    from .crops import DEFAULT_MIN_SIZE  # here: brain.crops imports the embedding stack

    c, n = counts, counts.get("objects", 0)
    first = f"Found {n} objects in {field!r}"
    if c.get("objects_skipped") or c.get("objects_unreadable"):
        first += (
            f"; skipped {c.get('objects_skipped', 0)} objects smaller than {DEFAULT_MIN_SIZE} px"
        )
        if c.get("objects_unreadable"):
            first += f" and {c['objects_unreadable']} that could not be cut out"
    lines = [first]
    if "object_duplicates" in c:
        lines.append(f"Found {c['object_duplicates']} duplicate objects in "
                     f"{c['object_duplicate_groups']} groups (embedding distance < "
                     f"{EMBEDDING_ONLY_DISTANCE:g}; objects get no pixel check), "
                     f"{pct(c['object_duplicates'], n)}")  # fmt: skip
    if "object_outliers" in c:
        lines.append(f"Found {c['object_outliers']} object outliers (lowest "
                     f"{lower_threshold * 100:g} %), {pct(c['object_outliers'], n)}")  # fmt: skip
    if "object_label_issues" in c:
        lines.append(f"Found {c['object_label_issues']} objects whose label their nearest "
                     f"objects disagree with, {c['object_confusing_pairs']} near-duplicate "
                     "object pairs with different labels")  # fmt: skip
    return lines

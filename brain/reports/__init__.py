"""Self-contained HTML galleries of the dataset-health analyses, and an index page.

Each gallery is a function ``create_<name>_gallery(samples, save_path, ...)``
that works on a dataset or view and writes one page into ``save_path``;
:func:`create_report` writes them all with an index, and the object galleries
(:mod:`brain.reports.objects`) of fields whose objects were analysed. Options
(``num_images``, ``label_field``, ``slice``, ``lazy_load``, ``max_width``) are
described in :mod:`brain.reports.common`.

Example:
    >>> from brain import reports
    >>> reports.create_report(dataset, "report/")
    >>> reports.create_duplicates_gallery(dataset.match_tags("train"), "report/", slice="diff")
"""

from __future__ import annotations

from .common import ReportError
from .groups import (
    create_components_gallery,
    create_duplicates_gallery,
    create_label_issues_gallery,
    create_leaks_gallery,
)
from .index import create_report
from .objects import (
    create_object_duplicates_gallery,
    create_object_label_issues_gallery,
    create_object_outliers_gallery,
)
from .stats import (
    create_aspect_ratio_gallery,
    create_outliers_gallery,
    create_quality_gallery,
    create_stats_gallery,
)

__all__ = [
    "ReportError",
    "create_aspect_ratio_gallery",
    "create_components_gallery",
    "create_duplicates_gallery",
    "create_label_issues_gallery",
    "create_leaks_gallery",
    "create_object_duplicates_gallery",
    "create_object_label_issues_gallery",
    "create_object_outliers_gallery",
    "create_outliers_gallery",
    "create_quality_gallery",
    "create_report",
    "create_stats_gallery",
]

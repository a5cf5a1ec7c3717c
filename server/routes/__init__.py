"""One router per resource; ``create_app`` includes them all."""

from __future__ import annotations

from . import datasets, media, operators, plots, review, samples, saved_views, sidebar, state, tags

ROUTERS = (
    datasets.router,
    samples.router,
    sidebar.router,
    tags.router,
    saved_views.router,
    operators.router,
    review.router,
    plots.router,
    media.router,
    state.router,
)

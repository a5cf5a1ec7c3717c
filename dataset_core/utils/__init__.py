"""FiftyOne's ``fiftyone.utils`` module paths, for scripts that import them.

=================  ==============================================
``utils.X``        what it holds
=================  ==============================================
image              image files as arrays (:mod:`dataset_core.image`)
labels             label utilities: :func:`~dataset_core.utils.labels.perform_nms`
=================  ==============================================

Nothing here is imported by ``import dataset_core``.
"""

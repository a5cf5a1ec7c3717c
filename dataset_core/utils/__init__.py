"""FiftyOne's ``fiftyone.utils`` module paths, for scripts that import them.

=================  ==============================================
``utils.X``        what it holds
=================  ==============================================
coco               :func:`~dataset_core.utils.coco.add_coco_labels`
image              image files as arrays (:mod:`dataset_core.image`)
labels             ``perform_nms``, ``export_segmentations``
yolo               :func:`~dataset_core.utils.yolo.add_yolo_labels`
=================  ==============================================

Nothing here is imported by ``import dataset_core``.
"""

"""Stretched passes: detecting objects in an image that was squashed to another aspect ratio."""
from typing import Callable, List

import cv2
import numpy as np

from .detections import Detections
from .tiling import clip_sorted, merge_detections

PredictBatch = Callable[[List[np.ndarray]], List[Detections]]


def stretched_predict(predict_batch: PredictBatch, image: np.ndarray, stretch: float = 2.0,
                      iou_thr: float = 0.5) -> Detections:
    """Detect objects in ``image`` as it is, stretched ``stretch`` times wide and stretched
    as many times tall (one batch of three views), boxes mapped back to ``image`` and merged
    by NMS.

    Some photos reach a detector squashed: a dataset that stores every photo as a 640x640
    square, a thumbnail, a screenshot of a stretched picture. An object of fixed shape (a logo)
    is then elongated, and a detector trained on undistorted objects misses it; in one of the
    stretched views it has about its own shape again. The detector letterboxes each view to
    its input, so a view keeps the object's short side at the plain view's scale.

    Args:
        predict_batch: the detector's batch call, ``list of HxWx3 BGR images -> list of
            Detections`` in each image's pixels (as for :func:`~.tiling.tiled_predict`).
        image: ``HxWx3`` BGR image.
        stretch: how many times each stretched view is wider (or taller) than the image;
            must be above 1.
        iou_thr: boxes of different views overlapping this much are one object.

    Returns:
        :class:`Detections` in ``image`` pixels, clipped to it, sorted by score.
    """
    if not stretch > 1:
        raise ValueError(f'stretch must be above 1, got {stretch}')
    height, width = image.shape[:2]
    views = [image] + [cv2.resize(image, (max(1, round(width * fx)), max(1, round(height * fy))),
                                  interpolation=cv2.INTER_LINEAR)
                       for fx, fy in ((stretch, 1.0), (1.0, stretch))]
    boxes, scores = [], []
    for view, det in zip(views, predict_batch(views)):
        # a view is (fx, fy) times the image, rounded: its boxes shrink back by as much
        scale = np.array([width / view.shape[1], height / view.shape[0]] * 2, np.float32)
        boxes.append(np.asarray(det.boxes, np.float32).reshape(-1, 4) * scale)
        scores.append(np.asarray(det.scores, np.float32).reshape(-1))
    merged_boxes, merged_scores = merge_detections(np.concatenate(boxes), np.concatenate(scores),
                                                   'nms', iou_thr)
    return clip_sorted(merged_boxes, merged_scores, width, height)

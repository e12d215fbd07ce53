"""Fusing the detections of several models of one image (a model ensemble)."""
from typing import Sequence

import numpy as np

from .detections import Detections
from .tiling import cluster_boxes

#: Boxes of different models overlapping this much are one object (not tuned).
FUSION_IOU_THR = 0.55
#: Each model's boxes are fused from this score (as the saved k-fold predictions are kept):
#: a box one model scores low still adds to an object another model finds.
MEMBER_SCORE_FLOOR = 0.01


def fuse_models(per_model: Sequence[Detections],
                iou_thr: float = FUSION_IOU_THR) -> Detections:
    """Fuse the detections that ``len(per_model)`` models made of one image.

    Each model's boxes scored at least :data:`MEMBER_SCORE_FLOOR` are clustered, by score,
    high first (:func:`~mmdet_ext.inference.tiling.cluster_boxes`: a cluster's box is the
    score-weighted mean of its members). A cluster's score is the mean over *all* models of
    each model's best score in it, so an object one of two models sees keeps half its score:
    agreement between models is what the ensemble adds, and a threshold must be calibrated on
    fused scores (not reused from one model).

    Args:
        per_model: each model's detections of the same image, in the same pixels.
        iou_thr: boxes overlapping a fused box at least this much are the same object.

    Returns:
        The fused detections, sorted by score, high first.
    """
    if not per_model:
        raise ValueError('fuse_models needs the detections of at least one model')
    kept = [d.above(MEMBER_SCORE_FLOOR) for d in per_model]
    boxes = np.concatenate([d.boxes for d in kept]).astype(np.float64).reshape(-1, 4)
    scores = np.concatenate([d.scores for d in kept]).astype(np.float64)
    models = np.concatenate([np.full(len(d), m) for m, d in enumerate(kept)])
    order = np.argsort(-scores, kind='stable')
    boxes, scores, models = boxes[order], scores[order], models[order]
    fused, members = cluster_boxes(boxes, scores, iou_thr)
    fused_scores = np.array([_mean_best_score(scores[m], models[m], len(per_model))
                             for m in members])
    order = np.argsort(-fused_scores, kind='stable')
    return Detections(fused.astype(np.float32)[order], fused_scores.astype(np.float32)[order])


def _mean_best_score(scores: np.ndarray, models: np.ndarray, num_models: int) -> float:
    """Each model's best score among a cluster's members, summed, over all models."""
    return sum(scores[models == m].max() for m in np.unique(models)) / num_models


class Ensemble:
    """Several detectors of the same class run on each image, their detections fused
    (:func:`fuse_models`).

    The service runs each member on its own inference path (its own tile size) before fusing;
    :meth:`predict_raw` is the one-pass equivalent for the Python API.

    Args:
        members: detectors (:class:`~mmdet_ext.inference.Detector` or the same interface).
        score_thr: the threshold of :meth:`predict`, calibrated on *fused* scores: a member's
            own threshold does not carry over (an object one of two members sees keeps half
            its score).
        iou_thr: boxes of different members overlapping this much are one object.
    """

    def __init__(self, members, score_thr: float, iou_thr: float = FUSION_IOU_THR):
        if len(members) < 2:
            raise ValueError(f'an Ensemble needs two or more members, got {len(members)}')
        self.members, self.score_thr, self.iou_thr = list(members), float(score_thr), iou_thr
        self.backend = '+'.join(str(getattr(m, 'backend', '?')) for m in self.members)

    @property
    def input_size(self):
        """The first member's network input ``(w, h)``."""
        return self.members[0].input_size

    def fuse(self, per_member: Sequence[Detections]) -> Detections:
        """The members' detections of one image (in its pixels), fused."""
        return fuse_models(per_member, self.iou_thr)

    def predict_raw(self, image: np.ndarray) -> Detections:
        """Each member's one-pass detections of a BGR image, fused (unthresholded)."""
        return self.fuse([m.predict_raw(image) for m in self.members])

    def predict(self, image: np.ndarray) -> Detections:
        """Fused detections scored at least :attr:`score_thr`."""
        return self.predict_raw(image).above(self.score_thr)

"""Fusing the detections of several models of one image (a model ensemble)."""
from typing import Sequence

import numpy as np

from ..evaluation.matching import box_iou
from .detections import Detections


def fuse_models(per_model: Sequence[Detections], iou_thr: float = 0.55) -> Detections:
    """Fuse the detections that ``len(per_model)`` models made of one image.

    Boxes of all models are taken by score, high first; each joins the cluster whose fused box
    it overlaps most (IoU >= ``iou_thr``), else starts one. A cluster's box is the
    score-weighted mean of its members. Its score is the mean over *all* models of each
    model's best score in the cluster, so an object one of two models sees keeps half its
    score: agreement between models is what the ensemble adds, and a threshold must be
    calibrated on fused scores (not reused from one model).

    Args:
        per_model: each model's detections of the same image, in the same pixels.
        iou_thr: boxes overlapping a fused box at least this much are the same object.

    Returns:
        The fused detections, sorted by score, high first.
    """
    if not per_model:
        raise ValueError('fuse_models needs the detections of at least one model')
    boxes = np.concatenate([d.boxes for d in per_model]).astype(np.float64).reshape(-1, 4)
    scores = np.concatenate([d.scores for d in per_model]).astype(np.float64)
    models = np.concatenate([np.full(len(d), m) for m, d in enumerate(per_model)])
    fused, members = [], []
    for i in np.argsort(-scores, kind='stable'):
        if fused:
            ious = box_iou(boxes[i], np.array(fused))[0]
            best = int(np.argmax(ious))
            if ious[best] >= iou_thr:
                members[best].append(i)
                weights = scores[members[best]]
                fused[best] = (boxes[members[best]] * weights[:, None]).sum(0) / max(
                    weights.sum(), 1e-9)
                continue
        fused.append(boxes[i])
        members.append([i])
    fused_scores = np.array([_mean_best_score(scores[m], models[m], len(per_model))
                             for m in members])
    order = np.argsort(-fused_scores, kind='stable')
    return Detections(np.array(fused, np.float32).reshape(-1, 4)[order],
                      fused_scores.astype(np.float32)[order])


def _mean_best_score(scores: np.ndarray, models: np.ndarray, num_models: int) -> float:
    """Each model's best score among a cluster's members, summed, over all models."""
    return sum(scores[models == m].max() for m in np.unique(models)) / num_models


#: Each member's boxes are kept from this score for fusing (as the saved k-fold predictions
#: are): a box one model scores low still adds to an object another model finds.
MEMBER_SCORE_FLOOR = 0.01


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

    def __init__(self, members, score_thr: float, iou_thr: float = 0.55):
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
        return fuse_models([d.above(MEMBER_SCORE_FLOOR) for d in per_member], self.iou_thr)

    def predict_raw(self, image: np.ndarray) -> Detections:
        """Each member's one-pass detections of a BGR image, fused (unthresholded)."""
        return self.fuse([m.predict_raw(image) for m in self.members])

    def predict(self, image: np.ndarray) -> Detections:
        """Fused detections scored at least :attr:`score_thr`."""
        return self.predict_raw(image).above(self.score_thr)

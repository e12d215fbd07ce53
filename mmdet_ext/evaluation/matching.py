"""Greedy detection matching and the precision/recall/F1 arithmetic built on it.

Pure numpy, no OpenMMLab imports: the metric, the standalone evaluator and the tests share it.
Boxes are ``[x1, y1, x2, y2]`` in pixels.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

SIZE_BUCKETS = ('tiny', 'small', 'medium', 'large')
#: Long side over short side bounding the aspect buckets: an object class of fixed shape (a
#: logo) looks elongated only when the photo was squashed or seen at a slant, which a detector
#: trained on undistorted objects misses (the size table cannot show it).
ASPECT_EDGES = (1.5, 2.5)
ASPECT_BUCKETS = ('< 1.5:1', '1.5-2.5:1', '>= 2.5:1')


def _intersections(boxes_a, boxes_b):
    """Intersection areas (len(a), len(b)) and the areas of ``a`` and ``b`` (xyxy boxes)."""
    boxes_a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    rb = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    area_a = (boxes_a[:, 2:] - boxes_a[:, :2]).clip(0).prod(axis=1)
    area_b = (boxes_b[:, 2:] - boxes_b[:, :2]).clip(0).prod(axis=1)
    return inter, area_a, area_b


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of two sets of xyxy boxes."""
    inter, area_a, area_b = _intersections(boxes_a, boxes_b)
    return _safe_ratio(inter, area_a[:, None] + area_b[None, :] - inter)


def box_ioa(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over the area of each box of ``a``: matrix (len(a), len(b)), xyxy boxes
    (pycocotools' overlap of a detection with a crowd region)."""
    inter, area_a, _ = _intersections(boxes_a, boxes_b)
    return _safe_ratio(inter, np.broadcast_to(area_a[:, None], inter.shape))


def size_bucket(boxes: np.ndarray, edges: Sequence[float] = (16, 32, 96)) -> np.ndarray:
    """Index into :data:`SIZE_BUCKETS` per box: area < edges[0]², < edges[1]², < edges[2]², else."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    area = (boxes[:, 2:] - boxes[:, :2]).clip(0).prod(axis=1)
    return np.searchsorted(np.square(np.asarray(edges, dtype=np.float64)), area, side='right')


def aspect_bucket(boxes: np.ndarray, edges: Sequence[float] = ASPECT_EDGES) -> np.ndarray:
    """Index into :data:`ASPECT_BUCKETS` per box: long side / short side < edges[0], < edges[1],
    else (a degenerate box counts as the most elongated)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    sides = np.sort((boxes[:, 2:] - boxes[:, :2]).clip(0), axis=1)
    ratio = _safe_ratio(sides[:, 1], sides[:, 0])
    ratio[sides[:, 0] <= 0] = np.inf
    return np.searchsorted(np.asarray(edges, dtype=np.float64), ratio, side='right')


def _by_match(m: 'ImageMatch', gt_bucket: np.ndarray, own_bucket: np.ndarray) -> np.ndarray:
    """Each sorted prediction's bucket: a true positive counts in its ground-truth box's
    bucket, a false positive in its own."""
    matched = gt_bucket[np.maximum(m.pred_gt, 0)] if len(gt_bucket) else 0
    return np.where(m.pred_is_tp, matched, own_bucket)


@dataclass
class ImageMatch:
    """Result of matching one image's predictions to its ground truth.

    Attributes:
        scores: prediction scores, sorted descending (ignored predictions left out).
        pred_is_tp: whether each (sorted) prediction matched a ground-truth box.
        pred_gt: index of the matched ground-truth box per prediction, -1 if none.
        gt_best_score: score of the prediction matched to each ground-truth box, -inf if none.
        pred_index: index of each (sorted) prediction in the input.
    """
    scores: np.ndarray
    pred_is_tp: np.ndarray
    pred_gt: np.ndarray
    gt_best_score: np.ndarray
    pred_index: np.ndarray


def match_image(pred_boxes, pred_scores, gt_boxes, iou_thr: float = 0.5,
                ignore_boxes=None) -> ImageMatch:
    """Greedy matching by descending score.

    Each prediction, from the highest score down, takes the not-yet-matched ground-truth box
    with which it has the largest IoU, provided that IoU is >= ``iou_thr``. Because a
    prediction's match depends only on higher-scored ones, the matches at any score threshold
    are the prefix of this list: one pass serves a whole threshold sweep.

    A prediction left unmatched that lies in an ignore region (COCO ``iscrowd``: intersection
    over the prediction's area >= ``iou_thr``, as pycocotools counts it) is dropped: neither a
    hit nor a false alarm. Ignore regions are never missed.
    """
    pred_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    order = np.argsort(-scores, kind='stable')
    pred_boxes, scores = pred_boxes[order], scores[order]
    ious = box_iou(pred_boxes, gt_boxes)
    gt_taken = np.zeros(len(gt_boxes), dtype=bool)
    pred_gt = np.full(len(pred_boxes), -1, dtype=np.int64)
    gt_best_score = np.full(len(gt_boxes), -np.inf)
    for i in range(len(pred_boxes)):
        if not len(gt_boxes):
            break
        candidates = np.where(gt_taken, -1.0, ious[i])
        j = int(np.argmax(candidates))
        if candidates[j] >= iou_thr:
            gt_taken[j] = True
            pred_gt[i] = j
            gt_best_score[j] = scores[i]
    kept = np.ones(len(pred_boxes), bool)
    ignore_boxes = np.asarray(ignore_boxes if ignore_boxes is not None else [],
                              dtype=np.float64).reshape(-1, 4)
    if len(ignore_boxes) and len(pred_boxes):
        kept = (pred_gt >= 0) | (box_ioa(pred_boxes, ignore_boxes).max(axis=1) < iou_thr)
    return ImageMatch(scores[kept], pred_gt[kept] >= 0, pred_gt[kept], gt_best_score,
                      order[kept])


@dataclass
class PRF:
    """Counts and rates at one score threshold."""
    tp: int
    fp: int
    fn: int
    threshold: float = 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 0.0

    def as_dict(self) -> Dict[str, float]:
        return dict(precision=self.precision, recall=self.recall, f1=self.f1, tp=self.tp,
                    fp=self.fp, fn=self.fn, threshold=self.threshold)


def prf_at(scores: np.ndarray, is_tp: np.ndarray, num_gt: int, threshold: float) -> PRF:
    """P/R/F1 counting predictions with score >= threshold."""
    keep = scores >= threshold
    tp = int(np.count_nonzero(is_tp & keep))
    return PRF(tp=tp, fp=int(np.count_nonzero(keep)) - tp, fn=num_gt - tp, threshold=threshold)


def sweep_thresholds(scores: np.ndarray, is_tp: np.ndarray, num_gt: int) -> Dict[str, np.ndarray]:
    """Precision, recall and F1 at every distinct score (descending thresholds)."""
    order = np.argsort(-scores, kind='stable')
    scores, is_tp = scores[order], is_tp[order]
    tp = np.cumsum(is_tp)
    fp = np.cumsum(~is_tp)
    # Only the last prediction of a run of equal scores is a reachable operating point.
    last = np.r_[scores[1:] != scores[:-1], True] if len(scores) else np.zeros(0, bool)
    tp, fp, thr = tp[last], fp[last], scores[last]
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / num_gt if num_gt else np.zeros_like(precision, dtype=float)
    f1 = 2 * tp / np.maximum(2 * tp + fp + (num_gt - tp), 1)
    return dict(threshold=thr, precision=precision, recall=recall, f1=f1)


def best_f1(scores: np.ndarray, is_tp: np.ndarray, num_gt: int) -> PRF:
    """The operating point with the highest F1 (ties: the highest threshold)."""
    curve = sweep_thresholds(scores, is_tp, num_gt)
    if not len(curve['f1']):
        return PRF(tp=0, fp=0, fn=num_gt, threshold=1.0)
    best = int(np.argmax(curve['f1']))
    return prf_at(scores, is_tp, num_gt, float(curve['threshold'][best]))


@dataclass
class MatchSet:
    """Per-prediction and per-ground-truth records pooled over a dataset, with the image
    each came from, so any subset (size bucket, image attribute) can be scored."""
    scores: List[np.ndarray] = field(default_factory=list)
    is_tp: List[np.ndarray] = field(default_factory=list)
    pred_bucket: List[np.ndarray] = field(default_factory=list)
    pred_image: List[np.ndarray] = field(default_factory=list)
    gt_bucket: List[np.ndarray] = field(default_factory=list)
    gt_image: List[np.ndarray] = field(default_factory=list)
    gt_best_score: List[np.ndarray] = field(default_factory=list)
    pred_aspect: List[np.ndarray] = field(default_factory=list)
    gt_aspect: List[np.ndarray] = field(default_factory=list)

    def add(self, image_index: int, pred_boxes, pred_scores, gt_boxes, iou_thr: float,
            bucket_edges: Sequence[float], ignore_boxes=None) -> None:
        m = match_image(pred_boxes, pred_scores, gt_boxes, iou_thr, ignore_boxes)
        gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
        gt_bucket = size_bucket(gt_boxes, bucket_edges)
        gt_aspect = aspect_bucket(gt_boxes)
        sorted_boxes = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)[m.pred_index]
        self.scores.append(m.scores)
        self.is_tp.append(m.pred_is_tp)
        self.pred_bucket.append(_by_match(m, gt_bucket, size_bucket(sorted_boxes, bucket_edges)))
        self.pred_aspect.append(_by_match(m, gt_aspect, aspect_bucket(sorted_boxes)))
        self.gt_aspect.append(gt_aspect)
        self.pred_image.append(np.full(len(m.scores), image_index))
        self.gt_bucket.append(gt_bucket)
        self.gt_image.append(np.full(len(gt_boxes), image_index))
        self.gt_best_score.append(m.gt_best_score)

    def pooled(self) -> Dict[str, np.ndarray]:
        """Concatenate the per-image records into flat arrays."""
        def cat(parts, dtype):
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
        return dict(scores=cat(self.scores, float), is_tp=cat(self.is_tp, bool),
                    pred_bucket=cat(self.pred_bucket, int), pred_image=cat(self.pred_image, int),
                    gt_bucket=cat(self.gt_bucket, int), gt_image=cat(self.gt_image, int),
                    gt_best_score=cat(self.gt_best_score, float),
                    pred_aspect=cat(self.pred_aspect, int), gt_aspect=cat(self.gt_aspect, int))


def prf_subset(pooled: Dict[str, np.ndarray], threshold: float,
               pred_mask: Optional[np.ndarray] = None,
               gt_mask: Optional[np.ndarray] = None) -> PRF:
    """P/R/F1 at ``threshold`` over a subset of predictions and ground-truth boxes."""
    scores, is_tp = pooled['scores'], pooled['is_tp']
    if pred_mask is None:
        pred_mask = np.ones(len(scores), bool)
    if gt_mask is None:
        gt_mask = np.ones(len(pooled['gt_bucket']), bool)
    keep = pred_mask & (scores >= threshold)
    fp = int(np.count_nonzero(keep & ~is_tp))
    # Recall counts ground truth found by a kept prediction, so it is exact for any subset.
    found = gt_mask & (pooled['gt_best_score'] >= threshold)
    tp = int(np.count_nonzero(found))
    return PRF(tp=tp, fp=fp, fn=int(np.count_nonzero(gt_mask)) - tp, threshold=threshold)

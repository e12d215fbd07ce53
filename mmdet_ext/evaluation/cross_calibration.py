"""Cross-calibrated F1: each part of an evaluation set scored at the threshold the other parts
choose.

A threshold picked on the images it is scored on flatters F1, and a single held-out half is
scored on few boxes. Scoring every part (two halves, or the k folds of a k-fold run) at the
F1-maximising threshold of the other parts' pooled predictions, and summing the counts, scores
every image with a threshold chosen elsewhere (cross-fitting); a bootstrap over images,
re-picking the thresholds inside every draw, gives the interval.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .matching import PRF, best_f1, match_image, prf_at

# One image's matches: sorted scores, whether each prediction is a TP, its number of GT boxes.
ImageRecord = Tuple[np.ndarray, np.ndarray, int]


def image_records(results: Sequence[dict], iou_thr: float = 0.5) -> List[ImageRecord]:
    """Match each image once (``pred_boxes``, ``pred_scores``, ``gt_boxes``, optionally
    ``ignore_boxes``, as :func:`~mmdet_ext.evaluation.evaluate_detections` takes them)."""
    records = []
    for res in results:
        m = match_image(res['pred_boxes'], res['pred_scores'], res['gt_boxes'], iou_thr,
                        res.get('ignore_boxes'))
        records.append((m.scores, m.pred_is_tp, len(np.reshape(res['gt_boxes'], (-1, 4)))))
    return records


def pool_records(records: Sequence[ImageRecord]) -> Tuple[np.ndarray, np.ndarray, int]:
    """Concatenate image records into the (scores, is_tp, n_gt) that
    :func:`~.matching.best_f1` and :func:`~.matching.prf_at` take."""
    scores = np.concatenate([r[0] for r in records]) if records else np.zeros(0)
    is_tp = np.concatenate([r[1] for r in records]) if records else np.zeros(0, bool)
    return scores, is_tp.astype(bool), sum(r[2] for r in records)


def _cross(parts: Sequence[Sequence[ImageRecord]]) -> Dict:
    scored = []
    for i, part in enumerate(parts):
        others = [r for j, other in enumerate(parts) if j != i for r in other]
        threshold = best_f1(*pool_records(others)).threshold
        scored.append(prf_at(*pool_records(part), threshold))
    total = PRF(tp=sum(s.tp for s in scored), fp=sum(s.fp for s in scored),
                fn=sum(s.fn for s in scored))
    return dict(parts=[s.as_dict() for s in scored], precision=total.precision,
                recall=total.recall, f1=total.f1, tp=total.tp, fp=total.fp, fn=total.fn)


def cross_calibrated_f1(parts: Sequence[Sequence[dict]], iou_thr: float = 0.5,
                        draws: int = 2000, seed: int = 0) -> Dict:
    """Cross-calibrated P/R/F1 of two or more disjoint parts of an evaluation set.

    Args:
        parts: per-image results of each part.
        iou_thr: IoU for a match.
        draws: bootstrap draws for the 95 % interval (0: no interval).
        seed: seed of the bootstrap.

    Returns:
        The pooled ``precision``, ``recall``, ``f1``, ``tp``, ``fp``, ``fn``; ``parts``: each
        part's counts at its ``threshold`` (the other parts' best); ``f1_ci95`` (percentile
        bootstrap, images resampled within each part, thresholds re-picked in every draw).
    """
    if len(parts) < 2:
        raise ValueError(f'cross-calibration needs at least two parts, got {len(parts)}')
    records = [image_records(part, iou_thr) for part in parts]
    report = _cross(records)
    rng = np.random.default_rng(seed)
    f1s = [_cross([[part[i] for i in rng.integers(0, len(part), len(part))]
                   for part in records])['f1'] for _ in range(draws)]
    report.update(iou_thr=iou_thr, draws=draws, seed=seed,
                  f1_ci95=np.percentile(f1s, [2.5, 97.5]).tolist() if draws else None)
    return report

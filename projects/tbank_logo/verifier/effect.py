"""What the verifier does to a detector's answers on labelled photos: FP removed vs TP lost.

The verifier's probability is computed once per candidate box; every operating point
(band, threshold) is then a mask over the candidates, which :func:`keep_mask` draws exactly as
the service does (:func:`projects.tbank_logo.service.pipeline.apply_verifier`): out of the
band a box is kept iff it reaches the score threshold, in the band iff the verifier accepts it
(so a band reaching below the threshold can also bring boxes back).
"""
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmdet_ext.evaluation.matching import PRF, match_image

Band = Tuple[Optional[float], float]


@dataclass
class PhotoCandidates:
    """One labelled photo's candidates (every box above a low floor) and the verifier's
    probability for each."""
    key: str
    folder: str
    gt_boxes: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    probs: np.ndarray
    verifier_s: float = 0.0  # time the verifier took on this photo's boxes


def keep_mask(scores: np.ndarray, probs: np.ndarray, score_thr: float, band: Band,
              threshold: float) -> np.ndarray:
    """The candidates the service answers with this verifier setting."""
    low = score_thr if band[0] is None else band[0]
    in_band = (scores >= low) & (scores <= band[1])
    return np.where(in_band, probs >= threshold, scores >= score_thr)


def _counts(photos: Sequence[PhotoCandidates], masks: Sequence[np.ndarray],
            iou_thr: float) -> Tuple[PRF, List[np.ndarray]]:
    """Pooled TP/FP/FN of the kept boxes, and per photo whether each candidate is a TP when
    kept (matched among the kept boxes of its photo)."""
    tp = fp = fn = 0
    is_tp = []
    for p, keep in zip(photos, masks):
        m = match_image(p.boxes[keep], p.scores[keep], p.gt_boxes, iou_thr)
        flags = np.zeros(len(p.scores), bool)
        flags[np.flatnonzero(keep)[m.pred_index]] = m.pred_is_tp  # back to candidate order
        is_tp.append(flags)
        tp += int(m.pred_is_tp.sum())
        fp += int((~m.pred_is_tp).sum())
        fn += len(p.gt_boxes) - int(m.pred_is_tp.sum())
    return PRF(tp=tp, fp=fp, fn=fn), is_tp


def verifier_effect(photos: Sequence[PhotoCandidates], score_thr: float, band: Band,
                    threshold: float, iou_thr: float = 0.5) -> Dict:
    """Before/after counts at one verifier setting.

    ``fp_removed`` / ``tp_lost`` count the answered boxes (before) that the verifier drops,
    by their match before; ``added_tp`` / ``added_fp`` the boxes below the score threshold it
    brings back (bands reaching below it only). ``negatives_with_fp`` counts photos without a
    label that get at least one box.
    """
    before_masks = [p.scores >= score_thr for p in photos]
    after_masks = [keep_mask(p.scores, p.probs, score_thr, band, threshold) for p in photos]
    before, tp_before = _counts(photos, before_masks, iou_thr)
    after, tp_after = _counts(photos, after_masks, iou_thr)
    dropped = [b & ~a for b, a in zip(before_masks, after_masks)]
    added = [a & ~b for b, a in zip(before_masks, after_masks)]
    asked = sum(int(((p.scores >= (score_thr if band[0] is None else band[0]))
                     & (p.scores <= band[1])).sum()) for p in photos)
    neg = [i for i, p in enumerate(photos) if not len(p.gt_boxes)]
    return dict(
        band=[band[0], band[1]], threshold=threshold, asked=asked,
        before=before.as_dict(), after=after.as_dict(),
        fp_removed=sum(int((d & ~t).sum()) for d, t in zip(dropped, tp_before)),
        tp_lost=sum(int((d & t).sum()) for d, t in zip(dropped, tp_before)),
        added_tp=sum(int((a & t).sum()) for a, t in zip(added, tp_after)),
        added_fp=sum(int((a & ~t).sum()) for a, t in zip(added, tp_after)),
        negatives=len(neg),
        negatives_with_fp_before=sum(int(before_masks[i].any()) for i in neg),
        negatives_with_fp_after=sum(int(after_masks[i].any()) for i in neg))


def dropped_boxes(photos: Sequence[PhotoCandidates], score_thr: float, band: Band,
                  threshold: float, iou_thr: float = 0.5):
    """``[(photo, box, score, prob, was_tp)]`` of every answered box the setting drops, for
    a person to look at (a dropped "FP" may be a logo the labellers missed)."""
    before_masks = [p.scores >= score_thr for p in photos]
    _, tp_before = _counts(photos, before_masks, iou_thr)
    out = []
    for p, b, t in zip(photos, before_masks, tp_before):
        d = b & ~keep_mask(p.scores, p.probs, score_thr, band, threshold)
        out += [(p, p.boxes[i], float(p.scores[i]), float(p.probs[i]), bool(t[i]))
                for i in np.flatnonzero(d)]
    return out


def collect_candidates(photos, predictions: Dict, verifier,
                       floor: float = 0.0, progress: bool = False) -> List[PhotoCandidates]:
    """Each photo's predictions scored at least ``floor`` with the verifier's probability
    for each (``verifier.probabilities(image, boxes)``); unreadable photos are skipped."""
    from tqdm import tqdm

    from mmdet_ext.inference.detections import Detections

    from .data import read_photo
    out = []
    for photo in tqdm(photos, desc='verifier', disable=not progress):
        dets = predictions.get(photo.index, Detections()).above(floor)
        probs, seconds = np.zeros(0, np.float32), 0.0
        if len(dets):
            image = read_photo(photo)
            if image is None:
                continue
            start = time.perf_counter()
            probs = verifier.probabilities(image, dets.boxes)
            seconds = time.perf_counter() - start
        out.append(PhotoCandidates(photo.key, photo.folder, photo.gt_boxes, dets.boxes,
                                   dets.scores, probs, seconds))
    return out

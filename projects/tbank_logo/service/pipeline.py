"""One decoded image -> the detections the service answers, on the path its size calls for.

Large images go through tiled inference (a logo of 20 px in a 4000 px photo would be 3 px
after a plain resize to the network input); the others are downscaled, keeping the ratio, to
at most ``resize_max_side`` and detected in one pass. An optional verifier then decides for
the boxes whose score lies in its band.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional

import cv2
import numpy as np

from mmdet_ext.inference.detections import Detections
from mmdet_ext.inference.ensemble import MEMBER_SCORE_FLOOR, Ensemble
from mmdet_ext.inference.tiling import stretched_predict, tiled_predict

from .runner import Deadline
from .settings import ServiceSettings

#: ``verifier(image_bgr, candidates) -> the candidates it keeps`` (it may change their scores).
Verifier = Callable[[np.ndarray, Detections], Detections]
TILE_BATCH = 8  # tiles per detector call; the deadline is checked between calls


@dataclass
class Outcome:
    """What :func:`detect` found: the answer, the candidates it came from, and how."""
    detections: Detections
    candidates: Detections
    path: str  # 'tiled' | 'resized' | 'full'
    verified: int = 0  # boxes the verifier was asked about


def _raw_batch(detector) -> Callable[[List[np.ndarray]], List[Detections]]:
    """The detector's unthresholded batch call (``predict_batch_raw`` when it has one)."""
    batch = getattr(detector, 'predict_batch_raw', None)
    return batch or (lambda images: [detector.predict_raw(im) for im in images])


def tile_size(detector, settings: ServiceSettings) -> int:
    """Side of the tiles: the setting, else the detector's own (``Detector.tile_size``), else
    the longer network input side."""
    return settings.tile_size or getattr(detector, 'tile_size', None) or max(detector.input_size)


def score_floor(score_thr: float, settings: ServiceSettings, verifier) -> float:
    """Lowest score any consumer (answer, verifier, retrain pool) looks at."""
    floor = score_thr
    if verifier is not None and settings.verifier_band[0] is not None:
        floor = min(floor, settings.verifier_band[0])
    if settings.retrain_dir:
        floor = min(floor, settings.retrain_band[0])
    return floor


def predict_candidates(detector, image: np.ndarray, settings: ServiceSettings, floor: float,
                       deadline: Optional[Deadline] = None):
    """``(candidates scored >= floor in image pixels, path)``; an :class:`Ensemble` runs each
    member on its own path (its own tile size) and fuses their candidates."""
    if isinstance(detector, Ensemble):
        outcomes = [predict_candidates(m, image, settings, min(floor, MEMBER_SCORE_FLOOR),
                                       deadline) for m in detector.members]
        return detector.fuse([dets for dets, _ in outcomes]).above(floor), outcomes[0][1]
    raw_batch = _raw_batch(detector)

    def batch(images):
        if deadline is not None:
            deadline.check('inference')
        return [d.above(floor) for d in raw_batch(images)]

    h, w = image.shape[:2]
    long_side = max(h, w)
    tile = tile_size(detector, settings)
    min_side, max_side = settings.tiling_sides(tile)  # tiled above min_side (0: never)
    if min_side and long_side > min_side:
        dets = tiled_predict(batch, image, tile_size=tile,
                             overlap=settings.tile_overlap, full_image_pass=True, merge='nms',
                             iou_thr=settings.tile_iou_thr,
                             max_side=max_side,
                             batch_size=TILE_BATCH)
        return dets, 'tiled'
    scale = min(1.0, settings.resize_max_side / long_side)
    if scale >= 1.0:
        return _untiled(batch, image, settings), 'full'
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    dets = _untiled(batch, small, settings)
    return Detections(dets.boxes / np.float32(scale), dets.scores), 'resized'


def _untiled(batch, image: np.ndarray, settings: ServiceSettings) -> Detections:
    """An untiled image's detections: one pass, or with ``settings.stretch`` three views (for a
    logo squashed with its photo)."""
    if settings.stretch:
        return stretched_predict(batch, image, settings.stretch)
    return batch([image])[0]


def clip_boxes(dets: Detections, width: int, height: int) -> Detections:
    """Boxes clipped to the image, sorted by score (high first)."""
    boxes = np.nan_to_num(np.asarray(dets.boxes, np.float32).reshape(-1, 4))
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
    scores = np.asarray(dets.scores, np.float32).reshape(-1)
    order = np.argsort(-scores, kind='stable')
    return Detections(boxes[order], scores[order])


def apply_verifier(image: np.ndarray, candidates: Detections, score_thr: float,
                   band, verifier: Optional[Verifier]):
    """``(answer, number verified)``: out of the band a box is kept iff it reaches
    ``score_thr``; in the band (``low <= score <= high``) the verifier decides."""
    if verifier is None:
        return candidates.above(score_thr), 0
    low = score_thr if band[0] is None else band[0]
    s = candidates.scores
    in_band = (s >= low) & (s <= band[1])
    keep = ~in_band & (s >= score_thr)
    kept = Detections(candidates.boxes[keep], candidates.scores[keep])
    if not in_band.any():
        return kept, 0
    verified = verifier(image, Detections(candidates.boxes[in_band], candidates.scores[in_band]))
    merged = Detections(np.concatenate([kept.boxes, np.asarray(verified.boxes, np.float32)
                                        .reshape(-1, 4)]),
                        np.concatenate([kept.scores, np.asarray(verified.scores, np.float32)
                                        .reshape(-1)]))
    return merged, int(in_band.sum())


def detect(detector, image: np.ndarray, settings: ServiceSettings, score_thr: float,
           verifier: Optional[Verifier] = None, deadline: Optional[Deadline] = None) -> Outcome:
    """Detect logos in one BGR image; boxes in its pixels, sorted by score."""
    floor = score_floor(score_thr, settings, verifier)
    candidates, path = predict_candidates(detector, image, settings, floor, deadline)
    h, w = image.shape[:2]
    candidates = clip_boxes(candidates, w, h)
    answer, n_verified = apply_verifier(image, candidates, score_thr, settings.verifier_band,
                                        verifier)
    return Outcome(clip_boxes(answer, w, h), candidates, path, n_verified)


def to_int_boxes(dets: Detections, width: int, height: int) -> List[dict]:
    """The contract's ``{"bbox": {x_min, y_min, x_max, y_max}, "score"}`` entries: integer
    pixels, rounded, inside the image (``0 <= x <= width - 1``), never inverted."""
    out = []
    for (x1, y1, x2, y2), score in zip(dets.boxes.tolist(), dets.scores.tolist()):
        x_min = min(max(int(round(x1)), 0), width - 1)
        y_min = min(max(int(round(y1)), 0), height - 1)
        x_max = min(max(int(round(x2)), x_min), width - 1)
        y_max = min(max(int(round(y2)), y_min), height - 1)
        out.append({'bbox': {'x_min': x_min, 'y_min': y_min, 'x_max': x_max, 'y_max': y_max},
                    'score': round(float(score), 4)})
    return out

"""Crop datasets for the verifier: synthetic logos and look-alikes, and crops of real photos.

Every crop goes through :func:`~.crops.crop_with_context` around a *jittered* box, because at
inference the verifier sees a detector's box, never a perfectly tight one. Each crop carries
a source tag so that accuracy can be read per kind (a verifier good on synthetic crests but
bad on real photos must show it).

Sources: ``syn:logo`` (positive), ``syn:<distractor kind>`` (bare T, shields with other
symbols, badges, the old-Tinkoff-like coat of arms, wordmarks), ``real:logo`` (labelled
boxes), ``real:random`` (windows of real photos away from every labelled box, a third of
them chosen for busy content, a third for yellow), and, from a detector's predictions,
``det:tp`` / ``det:fp``.
"""
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from mmdet_ext.evaluation.matching import box_iou
from mmdet_ext.inference.detections import Detections

from .crops import CONTEXT, CROP_SIZE, context_window, crop_with_context, jitter_box
from .real import RealPhoto

# The look-alikes the issue names (crest, other shields, letters T) weigh most.
DISTRACTOR_KINDS = (('coat_of_arms', 0.3), ('bare_t', 0.2), ('shield_symbol', 0.25),
                    ('badge', 0.1), ('wordmark', 0.15))


@dataclass
class CropSet:
    """``images`` (N, S, S, 3) uint8 BGR, ``labels`` (N,) 1 = T-Bank logo, ``sources`` (N,)."""
    images: np.ndarray
    labels: np.ndarray
    sources: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    @staticmethod
    def concat(sets: Sequence['CropSet']) -> 'CropSet':
        sets = [s for s in sets if len(s)]
        if not sets:
            return CropSet(np.zeros((0, CROP_SIZE, CROP_SIZE, 3), np.uint8),
                           np.zeros(0, np.float32), np.zeros(0, '<U24'))
        return CropSet(np.concatenate([s.images for s in sets]),
                       np.concatenate([s.labels for s in sets]),
                       np.concatenate([s.sources for s in sets]).astype('<U24'))

    def counts(self) -> Dict[str, int]:
        return dict(sorted(Counter(self.sources.tolist()).items()))


class _Builder:
    """Collects crops, then packs them into a :class:`CropSet`."""

    def __init__(self):
        self.images, self.labels, self.sources = [], [], []

    def add(self, crop: np.ndarray, label: int, source: str) -> None:
        self.images.append(crop)
        self.labels.append(label)
        self.sources.append(source)

    def build(self, size: int) -> CropSet:
        images = (np.stack(self.images) if self.images
                  else np.zeros((0, size, size, 3), np.uint8))
        return CropSet(images, np.asarray(self.labels, np.float32),
                       np.asarray(self.sources, '<U24'))


def _render_object(rng: np.random.Generator, positive: bool, width: float, bg_rgb):
    from projects.tbank_logo.synthetic import render_distractor, render_logo
    if positive:
        return render_logo(rng, width=width, background=bg_rgb), 'logo'
    names, weights = zip(*DISTRACTOR_KINDS)
    kind = names[rng.choice(len(names), p=np.asarray(weights) / sum(weights))]
    return render_distractor(rng, width=width, kind=kind)


def synthetic_crop(rng: np.random.Generator, positive: bool, context: float = CONTEXT,
                   size: int = CROP_SIZE, min_side: float = 10, max_side: float = 160):
    """One crop of a rendered logo (or look-alike) on a procedural background;
    returns ``(crop BGR uint8, kind)``."""
    from projects.tbank_logo.synthetic import alpha_box, apply_effects, make_background, paste
    from projects.tbank_logo.synthetic.compose import log_uniform, warp_rgba
    width = log_uniform(rng, min_side, max_side)
    canvas = int(width * (2 + 2 * context)) + 8
    bg, _ = make_background(rng, (canvas, canvas))
    rgba, kind = _render_object(rng, positive, width, bg.reshape(-1, 3).mean(0))
    if rng.random() < 0.7:
        rgba = warp_rgba(rgba, rng, max_angle=12.0, max_persp=0.06)
    box = alpha_box(rgba[..., 3])
    if box is None:  # nothing visible: the background alone is a fair negative
        box, positive, kind = (0, 0, rgba.shape[1], rgba.shape[0]), False, 'background'
    h, w = rgba.shape[:2]
    if max(h, w) > canvas:  # a long wordmark: a wider scene, or effects would leave it
        canvas = int(max(h, w) * (1 + 2 * context)) + 8
        bg, _ = make_background(rng, (canvas, canvas))
    x = int(rng.integers(0, max(canvas - w, 0) + 1))
    y = int(rng.integers(0, max(canvas - h, 0) + 1))
    paste(bg, rgba, x, y)
    obj = [x + box[0], y + box[1], x + box[2], y + box[3]]
    img, _ = apply_effects(bg, rng, [[obj[0], obj[1], obj[2] - obj[0], obj[3] - obj[1]]])
    if rng.random() < 0.5:  # JPEG artefacts, as in every real photo
        ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    crop = crop_with_context(img, jitter_box(obj, rng), context, size)
    return crop, kind


def synthetic_crops(num: int, seed: int = 0, context: float = CONTEXT,
                    size: int = CROP_SIZE, max_side: float = 160,
                    progress: bool = False) -> CropSet:
    """``num`` synthetic crops, half logos, half look-alikes (``syn:<kind>``), objects
    10 to ``max_side`` px wide."""
    from tqdm import tqdm
    rng = np.random.default_rng(seed)
    out = _Builder()
    for i in tqdm(range(num), desc='synthetic crops', disable=not progress):
        crop, kind = synthetic_crop(rng, positive=i % 2 == 0, context=context, size=size,
                                    max_side=max_side)
        out.add(crop, int(kind == 'logo'), f'syn:{kind}')
    return out.build(size)


def read_photo(photo: RealPhoto) -> Optional[np.ndarray]:
    """The stored pixels (EXIF orientation ignored: the labels are on the stored file)."""
    img = cv2.imread(photo.path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if img is None:
        return None
    if img.shape[:2] != (photo.height, photo.width):  # labels in other pixels: unusable
        return None
    return img


def _window_hits(box, gt_boxes: np.ndarray, context: float) -> bool:
    """Whether the crop window of ``box`` overlaps any labelled box."""
    if not len(gt_boxes):
        return False
    x0, y0, x1, y1 = context_window(box, context)
    return bool(((np.minimum(x1, gt_boxes[:, 2]) > np.maximum(x0, gt_boxes[:, 0]))
                 & (np.minimum(y1, gt_boxes[:, 3]) > np.maximum(y0, gt_boxes[:, 1]))).any())


def random_boxes(rng: np.random.Generator, width: int, height: int, gt_boxes: np.ndarray,
                 num: int, context: float = CONTEXT, min_side: float = 12,
                 tries: int = 20) -> List[np.ndarray]:
    """Up to ``num`` random boxes whose crop windows miss every labelled box (a window that
    shows part of a logo would be a positive labelled negative)."""
    from projects.tbank_logo.synthetic.compose import log_uniform
    out = []
    max_side = max(min(width, height) * 0.5, min_side)
    for _ in range(num * tries):
        if len(out) == num:
            break
        side = log_uniform(rng, min_side, max_side)
        aspect = np.exp(rng.uniform(-0.35, 0.35))
        w, h = side * aspect, side / aspect
        if w >= width or h >= height:
            continue
        x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
        box = np.array([x, y, x + w, y + h], np.float32)
        if not _window_hits(box, gt_boxes, context):
            out.append(box)
    return out


def _busyness(crop: np.ndarray) -> float:
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def _yellowness(crop: np.ndarray) -> float:
    """Share of saturated yellow pixels: yellow signs and packaging are the detector's
    favourite false positives."""
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    return float(((hsv[..., 0] >= 18) & (hsv[..., 0] <= 35) & (hsv[..., 1] >= 90)
                  & (hsv[..., 2] >= 90)).mean())


# How each real negative is picked among candidate windows: as drawn, the busiest, the
# yellowest (cycled, so a third of the negatives are of each kind).
_PICKS = (None, _busyness, _yellowness)


def real_crops(photos: Sequence[RealPhoto], seed: int = 0, per_box: int = 6,
               negatives_per_photo: int = 3, predictions: Optional[Dict[int, Detections]] = None,
               min_pred_score: float = 0.05, context: float = CONTEXT, size: int = CROP_SIZE,
               progress: bool = False) -> CropSet:
    """Crops of real photos: ``per_box`` jittered crops of each labelled box (``real:logo``),
    ``negatives_per_photo`` windows away from labels (``real:random``), and, when the
    detector's ``predictions`` (photo index -> Detections) are given, its boxes scored at
    least ``min_pred_score``: IoU >= 0.5 with a label -> ``det:tp``, IoU < 0.1 with every
    label -> ``det:fp`` (the boxes in between are neither).

    ``det:fp`` inherits the labels' one weakness: a missed small logo becomes a negative.
    """
    from tqdm import tqdm
    rng = np.random.default_rng(seed)
    out = _Builder()
    for photo in tqdm(photos, desc='real crops', disable=not progress):
        img = read_photo(photo)
        if img is None:
            continue
        for box in photo.gt_boxes:
            for _ in range(per_box):
                out.add(crop_with_context(img, jitter_box(box, rng), context, size), 1,
                        'real:logo')
        boxes = random_boxes(rng, photo.width, photo.height, photo.gt_boxes,
                             4 * negatives_per_photo, context)
        for i in range(0, len(boxes) - 3, 4):
            group = [crop_with_context(img, b, context, size) for b in boxes[i:i + 4]]
            rank = _PICKS[(i // 4 + photo.index) % len(_PICKS)]
            out.add(group[0] if rank is None else max(group, key=rank), 0, 'real:random')
        if predictions is None or photo.index not in predictions:
            continue
        dets = predictions[photo.index].above(min_pred_score)
        if not len(dets):
            continue
        iou = box_iou(dets.boxes, photo.gt_boxes)
        best = iou.max(1) if iou.size else np.zeros(len(dets))
        for box, b in zip(dets.boxes, best):
            if b >= 0.5:
                out.add(crop_with_context(img, box, context, size), 1, 'det:tp')
            elif b < 0.1:
                out.add(crop_with_context(img, box, context, size), 0, 'det:fp')
    return out.build(size)

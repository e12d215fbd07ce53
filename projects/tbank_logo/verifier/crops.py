"""The verifier's view of a box: a square window around it, with context, resized.

The window is square (side = the box's longer side grown by ``context`` on each side) and
centred on the box, so a tall shield and a wide wordmark keep their shape in the crop. Parts
of the window outside the image are filled by replicating the border: a constant fill would
mark boxes at the border as different from the same box in the middle of a photo.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np

CROP_SIZE = 64
CONTEXT = 0.2


def context_window(box: Sequence[float], context: float = CONTEXT) -> Tuple[int, int, int, int]:
    """Integer ``(x0, y0, x1, y1)`` (exclusive ends) of the square window around ``box``
    (xyxy pixels); it may reach outside the image. At least 2 px a side."""
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1, 0.0) * (1 + 2 * context)
    side = max(int(round(side)), 2)
    x0 = int(np.floor((x1 + x2) / 2 - side / 2))
    y0 = int(np.floor((y1 + y2) / 2 - side / 2))
    return x0, y0, x0 + side, y0 + side


def crop_with_context(image: np.ndarray, box: Sequence[float], context: float = CONTEXT,
                      size: int = CROP_SIZE) -> np.ndarray:
    """``(size, size, C)`` crop of :func:`context_window` of ``box``, border-replicated where
    the window leaves the image (an image with no pixel in the window gives zeros)."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = context_window(box, context)
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return np.zeros((size, size) + image.shape[2:], image.dtype)
    patch = image[cy0:cy1, cx0:cx1]
    if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
        patch = cv2.copyMakeBorder(patch, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1,
                                   cv2.BORDER_REPLICATE)
    # INTER_AREA when shrinking: a 400 px logo resampled bilinearly to 64 px aliases its edges.
    interp = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp).reshape(
        (size, size) + image.shape[2:])


def crop_batch(image: np.ndarray, boxes: np.ndarray, context: float = CONTEXT,
               size: int = CROP_SIZE) -> np.ndarray:
    """``(N, size, size, 3)`` uint8 crops of every box of ``boxes`` (N, 4)."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    out = np.zeros((len(boxes), size, size, 3), np.uint8)
    for i, box in enumerate(boxes):
        out[i] = crop_with_context(image, box, context, size)
    return out


def jitter_box(box: Sequence[float], rng: np.random.Generator, scale: float = 0.15,
               shift: float = 0.1) -> np.ndarray:
    """``box`` moved and resized at random, as a detector's box around the same object is:
    log-uniform size change of up to ``scale``, centre shift of up to ``shift`` of the size."""
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2 + rng.uniform(-shift, shift) * w
    cy = (y1 + y2) / 2 + rng.uniform(-shift, shift) * h
    w *= np.exp(rng.uniform(-scale, scale))
    h *= np.exp(rng.uniform(-scale, scale))
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)

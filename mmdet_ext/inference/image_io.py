"""Reading image files for inference, cheaply when the network needs far fewer pixels."""
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np

_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}
_JPEG = ('.jpg', '.jpeg')


def _upright_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` from the header, after the EXIF rotation OpenCV applies."""
    from PIL import Image
    with Image.open(path) as img:
        width, height = img.size
        rotated = img.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    return (height, width) if rotated else (width, height)


def read_image(path: str, min_long_side: Optional[int] = None
               ) -> Tuple[np.ndarray, Tuple[float, float]]:
    """Decode ``path`` to BGR ``uint8``; returns the image and ``(sx, sy)``, the factors that
    map its pixels back to the full-size image.

    A JPEG whose long side is at least twice ``min_long_side`` is decoded at 1/2, 1/4 or 1/8
    size by libjpeg's DCT scaling (the largest reduction that keeps ``min_long_side``): a 12 MP
    photo for a 320 px network decodes several times faster, and the keep-ratio resize that
    follows has far fewer pixels to average. Other files decode in full.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    reduction = 1
    if min_long_side and path.lower().endswith(_JPEG):
        width, height = _upright_size(path)
        reduction = max([k for k in _REDUCED if max(width, height) / k >= min_long_side],
                        default=1)
    img = cv2.imread(path, _REDUCED.get(reduction, cv2.IMREAD_COLOR))
    if img is None:
        raise ValueError(f'cannot decode image {path}')
    if reduction == 1:
        return img, (1.0, 1.0)
    return img, (width / img.shape[1], height / img.shape[0])

"""Keep the images the model was unsure about, with its predictions, for later labelling.

An image enters the pool when its top candidate score lies in the uncertain band
``[low, high]``: above ``high`` the model is confident, below ``low`` it saw nothing. Each
entry is ``<stem>.jpg`` (the decoded, upright image, so the boxes fit it) and ``<stem>.json``.
The pool stops taking images at its file or byte cap (the first images are kept: they may
already be in a labelling queue); the outcome of each offer is returned for the metrics.
"""
import json
import os
import os.path as osp
import threading
import time
import uuid
from typing import Optional, Tuple

import cv2
import numpy as np

from mmdet_ext.inference.detections import Detections


def _boxes_json(dets: Detections):
    return [{'bbox': [round(float(v), 1) for v in box], 'score': round(float(s), 4)}
            for box, s in zip(dets.boxes, dets.scores)]


class RetrainPool:
    """A size-capped folder of uncertain images.

    Args:
        root: the folder (created).
        band: ``(low, high)`` top scores that count as uncertain.
        max_files: images kept at most.
        max_bytes: bytes (images + json) kept at most.
        jpeg_quality: quality of the saved images.
    """

    def __init__(self, root: str, band: Tuple[float, float] = (0.2, 0.6),
                 max_files: int = 10_000, max_bytes: int = 2 * 1024 ** 3,
                 jpeg_quality: int = 95):
        self.root, self.band = root, band
        self.max_files, self.max_bytes, self.jpeg_quality = max_files, max_bytes, jpeg_quality
        os.makedirs(root, exist_ok=True)
        self._lock = threading.Lock()
        self.files, self.bytes = self._scan()

    def _scan(self):
        """Images and bytes already there (the pool survives restarts)."""
        files = total = 0
        for name in os.listdir(self.root):
            path = osp.join(self.root, name)
            if osp.isfile(path):
                total += osp.getsize(path)
                files += name.endswith('.jpg')
        return files, total

    def is_uncertain(self, candidates: Detections) -> bool:
        top = float(candidates.scores.max()) if len(candidates) else 0.0
        return self.band[0] <= top <= self.band[1]

    def offer(self, image: np.ndarray, candidates: Detections, answer: Detections,
              meta: Optional[dict] = None) -> str:
        """Save ``image`` if uncertain and there is room; returns ``'saved'``, ``'certain'``
        or ``'full'``."""
        if not self.is_uncertain(candidates):
            return 'certain'
        ok, jpg = cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            return 'error'
        h, w = image.shape[:2]
        record = dict(meta or {}, width=w, height=h, saved_at=time.time(),
                      band=list(self.band), candidates=_boxes_json(candidates),
                      detections=_boxes_json(answer))
        stem = time.strftime('%Y%m%d-%H%M%S') + '_' + uuid.uuid4().hex[:12]
        record['file_name'] = stem + '.jpg'
        text = json.dumps(record, indent=1).encode()
        size = len(jpg) + len(text)
        with self._lock:  # reserve the room first, so concurrent offers respect the cap
            if self.files + 1 > self.max_files or self.bytes + size > self.max_bytes:
                return 'full'
            self.files += 1
            self.bytes += size
        # The json is written last: a labelling tool sees only complete entries.
        with open(osp.join(self.root, stem + '.jpg'), 'wb') as f:
            f.write(jpg.tobytes())
        with open(osp.join(self.root, stem + '.json'), 'wb') as f:
            f.write(text)
        return 'saved'

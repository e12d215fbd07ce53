"""The result type every inference path returns, whatever the backend."""
from dataclasses import dataclass, field

import numpy as np


def _empty_boxes() -> np.ndarray:
    return np.zeros((0, 4), np.float32)


def _empty_scores() -> np.ndarray:
    return np.zeros((0,), np.float32)


@dataclass
class Detections:
    """Detections of one image.

    Attributes:
        boxes: ``(N, 4)`` float32 ``x1, y1, x2, y2`` in pixels of the image that was passed in,
            clipped to it.
        scores: ``(N,)`` float32 confidences, sorted high to low.
    """
    boxes: np.ndarray = field(default_factory=_empty_boxes)
    scores: np.ndarray = field(default_factory=_empty_scores)

    def __len__(self) -> int:
        return len(self.scores)

    def above(self, score_thr: float) -> 'Detections':
        """The detections scored at least ``score_thr``."""
        keep = self.scores >= score_thr
        return Detections(self.boxes[keep], self.scores[keep])

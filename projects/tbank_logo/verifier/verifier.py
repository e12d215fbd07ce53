"""``LogoVerifier``: the second stage that may drop a doubtful box, run with onnxruntime."""
import json
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np

from mmdet_ext.inference.detections import Detections

from .crops import CONTEXT, CROP_SIZE, crop_batch

DEFAULT_BAND = (None, 1.0)
DEFAULT_THRESHOLD = 0.5


def settings_path(model_path: str) -> str:
    """The JSON written beside ``verifier.onnx`` by ``tools/train_verifier.py``."""
    return osp.splitext(model_path)[0] + '.json'


def read_settings(model_path: str) -> dict:
    path = settings_path(model_path)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


class LogoVerifier:
    """Crops each box whose score lies in ``band``, classifies it, drops the look-alikes.

    A callable ``(image_bgr, Detections) -> Detections`` as the service's pipeline takes it
    (``create_app(verifier=...)``); boxes outside the band come back untouched, the kept ones
    keep their score.

    Args:
        path: the exported ``verifier.onnx`` (input ``(N, 3, S, S)`` float BGR 0..255,
            output ``(N,)`` probability of "T-Bank logo").
        band: ``(low, high)``: scores examined, both ends included; ``low`` None means no lower
            bound (the service reads it as its score threshold). None: the value stored in the
            settings JSON beside the model, else ``(None, 1.0)``.
        threshold: a box is kept when its probability is at least this. None: stored, else 0.5.
        context: context around the box, as a fraction of its longer side per side; must be
            what the network was trained with. None: stored, else 0.2.
        threads: onnxruntime intra-op threads (the network is tiny; 1 leaves the cores to the
            detector).
    """

    def __init__(self, path: str, band: Optional[Sequence[Optional[float]]] = None,
                 threshold: Optional[float] = None, context: Optional[float] = None,
                 threads: int = 1):
        if not osp.isfile(path):
            raise FileNotFoundError(f'verifier model not found: {path}')
        import onnxruntime as ort
        stored = read_settings(path)
        band = stored.get('band', DEFAULT_BAND) if band is None else band
        self.band: Tuple[Optional[float], float] = (
            None if band[0] is None else float(band[0]), float(band[1]))
        if self.band[0] is not None and self.band[0] > self.band[1]:
            raise ValueError(f'verifier band: low {self.band[0]} above high {self.band[1]}')
        self.threshold = float(stored.get('threshold', DEFAULT_THRESHOLD)
                               if threshold is None else threshold)
        self.context = float(stored.get('context', CONTEXT) if context is None else context)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, opts, providers=['CPUExecutionProvider'])
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.size = int(inp.shape[-1]) if isinstance(inp.shape[-1], int) else \
            int(stored.get('crop_size', CROP_SIZE))
        self.path = path

    def in_band(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, np.float32).reshape(-1)
        low = -np.inf if self.band[0] is None else self.band[0]
        return (scores >= low) & (scores <= self.band[1])

    def probabilities(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """``(N,)`` probability that each box (xyxy, image pixels) is a T-Bank logo."""
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        if not len(boxes):
            return np.zeros(0, np.float32)
        crops = crop_batch(image, boxes, self.context, self.size)
        x = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), np.float32)
        return np.asarray(self.session.run(None, {self.input_name: x})[0],
                          np.float32).reshape(-1)

    def __call__(self, image: np.ndarray, dets: Detections) -> Detections:
        boxes = np.asarray(dets.boxes, np.float32).reshape(-1, 4)
        scores = np.asarray(dets.scores, np.float32).reshape(-1)
        asked = self.in_band(scores)
        if not asked.any():
            return dets
        keep = ~asked
        keep[asked] = self.probabilities(image, boxes[asked]) >= self.threshold
        return Detections(boxes[keep], scores[keep])

    def __repr__(self) -> str:
        return (f'LogoVerifier({self.path!r}, band={self.band}, threshold={self.threshold}, '
                f'context={self.context})')

"""One inference API over every backend: a checkpoint, an ONNX file or a TensorRT engine."""
import json
import os.path as osp
from typing import Callable, List, Optional, Sequence

import numpy as np

from .detections import Detections
from .image_io import read_image
from .preprocess import PreprocessSpec, preprocess, to_original
from .release import verify_listed_file

DEFAULT_SCORE_THR = 0.25
SCORE_THRESHOLD_FILE = 'score_threshold.json'  # written by ``tools/test.py --calibrate``
_BACKENDS = {'.pth': 'pytorch', '.onnx': 'onnxruntime', '.engine': 'tensorrt',
             '.plan': 'tensorrt'}


def sidecar_path(model_path: str) -> str:
    """The JSON beside an exported model that holds its preprocessing (``end2end.json``)."""
    return osp.splitext(model_path)[0] + '.json'


def read_sidecar_value(model_path: str, key: str):
    """``key`` of the model's sidecar JSON; None when there is no sidecar or no such key."""
    if not osp.isfile(sidecar_path(model_path)):
        return None
    with open(sidecar_path(model_path)) as f:
        return json.load(f).get(key)


def read_score_threshold(model_path: str) -> Optional[float]:
    """The calibrated threshold stored with a model: in its sidecar, else in a
    ``score_threshold.json`` beside it; None when there is neither."""
    value = read_sidecar_value(model_path, 'score_thr')
    calibrated = osp.join(osp.dirname(model_path), SCORE_THRESHOLD_FILE)
    if value is None and osp.isfile(calibrated):
        with open(calibrated) as f:
            value = json.load(f).get('score_thr')
    return None if value is None else float(value)


def predict_letterboxed(runtime: Callable[[np.ndarray], List[np.ndarray]],
                        images: Sequence[np.ndarray], spec: PreprocessSpec) -> List[Detections]:
    """Letterbox and normalise ``images`` as ``spec`` says, run ``runtime`` (any backend: an
    NCHW batch in, per image ``(K, 5)`` boxes and scores in network-input pixels out) and map
    the boxes back to each image's pixels."""
    batch, boxes = preprocess(images, spec)
    return [to_original(d, b) for d, b in zip(runtime(batch), boxes)]


class Detector:
    """Loads a model once and detects logos in BGR images, on any backend.

    Preprocessing is MMYOLO's test pipeline (keep-ratio resize + letterbox to the network input,
    see :mod:`mmdet_ext.inference.preprocess`), identical for every backend; boxes come back in
    pixels of the image passed in.

    Attributes:
        backend: ``'pytorch'``, ``'onnxruntime'`` or ``'tensorrt'``.
        runtime: the loaded backend (:mod:`mmdet_ext.inference.backends`), kept for every call.
        score_thr: the threshold :meth:`predict` applies.
        tile_size: the tile side the model is meant to be tiled with (the service's default):
            the config's ``inference_tile_size`` (a 960 px model may see 640 px tiles
            enlarged), else the one its export sidecar stores, else the longer input side.

    Args:
        model: a ``.pth`` checkpoint (needs ``config``), an ``.onnx`` file or a TensorRT
            ``.engine``/``.plan``; the backend follows the extension.
        config: the MMYOLO config (path or ``Config``). Required for checkpoints; for exported
            models it is only needed when their sidecar JSON (written by ``tools/deploy.py``)
            is missing.
        device: ``'cpu'`` or ``'cuda[:N]'``.
        score_thr: detections below are dropped by :meth:`predict`. None: the calibrated
            threshold stored with the model (:func:`read_score_threshold`), else 0.25.
        spec: override the preprocessing (tests use it to inject a wrong one).

    A model (and its sidecar) that a release ``manifest.json`` lists, beside it or one folder
    up, is checked against its sha256 first (:mod:`mmdet_ext.inference.release`): a changed
    file raises :class:`~mmdet_ext.inference.release.ChecksumMismatch` naming it.
    """

    def __init__(self, model: str, config=None, device: str = 'cpu',
                 score_thr: Optional[float] = None, spec: Optional[PreprocessSpec] = None):
        if not osp.isfile(model):
            raise FileNotFoundError(f'model file not found: {model}')
        ext = osp.splitext(model)[1].lower()
        if ext not in _BACKENDS:
            raise ValueError(f'unsupported model file {model!r}: expected one of '
                             f'{sorted(_BACKENDS)}')
        self.backend = _BACKENDS[ext]
        for path in (model, sidecar_path(model)):
            if osp.isfile(path):
                verify_listed_file(path)
        if isinstance(config, str):
            from mmengine.config import Config
            config = Config.fromfile(config)
        self.spec = spec or self._load_spec(model, config)
        self.runtime = self._load_backend(model, config, device)
        if score_thr is None:
            score_thr = read_score_threshold(model)
        self.score_thr = DEFAULT_SCORE_THR if score_thr is None else float(score_thr)
        self.tile_size = int((config is not None and config.get('inference_tile_size'))
                             or read_sidecar_value(model, 'tile_size') or max(self.input_size))
        self.model_path = model

    def _load_spec(self, model: str, config) -> PreprocessSpec:
        if self.backend != 'pytorch' and osp.isfile(sidecar_path(model)):
            return PreprocessSpec.load(sidecar_path(model))
        if config is None:
            raise ValueError(f'{model}: pass the model config (no sidecar '
                             f'{osp.basename(sidecar_path(model))} with the preprocessing)')
        return PreprocessSpec.from_config(config)

    def _load_backend(self, model: str, config, device: str):
        from . import backends
        if self.backend == 'pytorch':
            if config is None:
                raise ValueError(f'{model}: a checkpoint needs its config')
            return backends.PyTorchBackend(config, model, device)
        if self.backend == 'onnxruntime':
            return backends.OnnxRuntimeBackend(model, device)
        return backends.TensorRTBackend(model, device if device.startswith('cuda') else 'cuda:0')

    @property
    def input_size(self):
        """``(width, height)`` of the network input."""
        return self.spec.input_size

    def predict_batch_raw(self, images: Sequence[np.ndarray]) -> List[Detections]:
        """Detections of each image, every score (down to the model's NMS threshold)."""
        results = []
        step = self.runtime.max_batch or max(len(images), 1)
        for start in range(0, len(images), step):
            results += predict_letterboxed(self.runtime, images[start:start + step], self.spec)
        return results

    def predict_batch(self, images: Sequence[np.ndarray]) -> List[Detections]:
        """Detections scored at least :attr:`score_thr`, per image."""
        return [d.above(self.score_thr) for d in self.predict_batch_raw(images)]

    def predict_raw(self, image: np.ndarray) -> Detections:
        return self.predict_batch_raw([image])[0]

    def predict(self, image: np.ndarray) -> Detections:
        """Detect in one BGR ``uint8`` image ``(H, W, 3)``."""
        return self.predict_raw(image).above(self.score_thr)

    def predict_file(self, path: str) -> Detections:
        """Detect in an image file, decoding a large JPEG at reduced size (see
        :func:`~mmdet_ext.inference.image_io.read_image`); boxes in full-size pixels."""
        image, (sx, sy) = read_image(path, max(self.input_size))
        dets = self.predict(image)
        if (sx, sy) != (1.0, 1.0):
            size = np.array([image.shape[1] * sx, image.shape[0] * sy] * 2, np.float32)
            boxes = np.minimum(dets.boxes * np.float32([sx, sy, sx, sy]), size)
            dets = Detections(boxes, dets.scores)
        return dets

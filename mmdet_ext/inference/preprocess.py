"""Letterbox preprocessing shared by every backend, equal to MMYOLO's test pipeline.

MMYOLO tests with ``YOLOv5KeepRatioResize`` + ``LetterResize`` and normalises in the model's
``YOLOv5DetDataPreprocessor``. Exported models (ONNX, TensorRT) get neither, so a deployment
must redo both exactly; a mismatch (other interpolation, other padding, RGB/BGR) is the most
common cause of "the exported model is worse". This module is that one implementation, in numpy
and OpenCV only; a test checks it against MMYOLO's transforms pixel for pixel.
"""
import json
from dataclasses import asdict, dataclass
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from .detections import Detections

# Test-pipeline transforms that do not change the pixels.
PASSIVE_TRANSFORMS = {'LoadImageFromFile', 'LoadAnnotations', 'PackDetInputs'}


@dataclass(frozen=True)
class PreprocessSpec:
    """How an image becomes a network input.

    Args:
        input_size: ``(width, height)`` of the network input.
        pad_val: letterbox padding value.
        allow_scale_up: whether ``LetterResize`` may enlarge (MMYOLO's test pipeline: no).
        mean, std: per-channel normalisation, in the channel order fed to the network.
        bgr_to_rgb: swap decoded BGR to RGB before normalising.
    """
    input_size: Tuple[int, int]
    pad_val: float = 114.0
    allow_scale_up: bool = False
    mean: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: Tuple[float, float, float] = (255.0, 255.0, 255.0)
    bgr_to_rgb: bool = True

    @classmethod
    def from_config(cls, cfg) -> 'PreprocessSpec':
        """Read the spec from an MMYOLO config's test pipeline and data preprocessor.

        Raises ValueError naming the transform when the pipeline holds one this module does
        not reproduce, rather than exporting a model that is silently fed other pixels.
        """
        pipeline = cfg.test_dataloader.dataset.pipeline
        by_type = {}
        for t in pipeline:
            name = t['type'].split('.')[-1]
            if name not in PASSIVE_TRANSFORMS | {'YOLOv5KeepRatioResize', 'LetterResize'}:
                raise ValueError(f'test pipeline transform {t["type"]!r} is not supported by '
                                 'the deployment preprocessing (expected YOLOv5KeepRatioResize '
                                 '+ LetterResize)')
            by_type[name] = t
        if 'LetterResize' not in by_type:
            raise ValueError('test pipeline has no LetterResize: cannot derive the input size')
        letter = by_type['LetterResize']
        if letter.get('use_mini_pad') or letter.get('stretch_only'):
            raise ValueError('LetterResize with use_mini_pad/stretch_only is not supported')
        keep = by_type.get('YOLOv5KeepRatioResize')
        if keep is not None and tuple(keep['scale']) != tuple(letter['scale']):
            raise ValueError(f'YOLOv5KeepRatioResize scale {keep["scale"]} differs from '
                             f'LetterResize scale {letter["scale"]}')
        pad = letter.get('pad_val', dict(img=0))
        pad = pad.get('img', 0) if isinstance(pad, dict) else pad
        prep = cfg.model.data_preprocessor
        return cls(input_size=tuple(int(s) for s in _as_pair(letter['scale'])),
                   pad_val=float(pad), allow_scale_up=bool(letter.get('allow_scale_up', True)),
                   mean=tuple(float(m) for m in prep.get('mean', (0, 0, 0))),
                   std=tuple(float(s) for s in prep.get('std', (1, 1, 1))),
                   bgr_to_rgb=bool(prep.get('bgr_to_rgb', False)))

    def with_input_size(self, input_size: Tuple[int, int]) -> 'PreprocessSpec':
        return PreprocessSpec(**dict(asdict(self), input_size=tuple(input_size)))

    def save(self, path: str, **extra) -> None:
        """Write the spec (and ``extra`` keys, e.g. the score threshold) as JSON."""
        with open(path, 'w') as f:
            json.dump(dict(preprocess=asdict(self), **extra), f, indent=2)

    @classmethod
    def from_dict(cls, spec: dict) -> 'PreprocessSpec':
        """The spec from its fields as JSON or a dumped config holds them (lists)."""
        spec = dict(spec)
        for key in ('input_size', 'mean', 'std'):
            spec[key] = tuple(spec[key])
        return cls(**spec)

    @classmethod
    def load(cls, path: str) -> 'PreprocessSpec':
        with open(path) as f:
            return cls.from_dict(json.load(f)['preprocess'])


@dataclass(frozen=True)
class Letterbox:
    """Where an image went in the network input: ``input = image * scale + (left, top)``."""
    scale_x: float
    scale_y: float
    left: int
    top: int
    width: int   # original image size, for clipping
    height: int


def _as_pair(scale) -> Tuple[int, int]:
    return (scale, scale) if isinstance(scale, (int, float)) else tuple(scale)


def _resize(img: np.ndarray, width: int, height: int, interpolation: int) -> np.ndarray:
    return cv2.resize(img, (width, height), interpolation=interpolation)


def letterbox(img: np.ndarray, spec: PreprocessSpec) -> Tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio and pad to ``spec.input_size``, as MMYOLO tests.

    Returns the padded uint8 image (same channel order as ``img``) and its :class:`Letterbox`.
    """
    h0, w0 = img.shape[:2]
    out_w, out_h = spec.input_size
    # YOLOv5KeepRatioResize: fit the long side, 'area' when shrinking, bilinear when enlarging.
    ratio = min(max(out_w, out_h) / max(h0, w0), min(out_w, out_h) / min(h0, w0))
    # Sides are kept at least 1 px: a 1x20000 strip would round to 0 and OpenCV would assert
    # (MMYOLO's transforms share the bug; a photo that thin holds no logo anyway).
    if ratio != 1:
        img = _resize(img, max(1, int(w0 * ratio)), max(1, int(h0 * ratio)),
                      cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR)
    # LetterResize: fit into the output (never enlarging unless allowed), pad the rest.
    h1, w1 = img.shape[:2]
    ratio = min(out_h / h1, out_w / w1)
    if not spec.allow_scale_up:
        ratio = min(ratio, 1.0)
    new_h, new_w = max(1, int(round(h1 * ratio))), max(1, int(round(w1 * ratio)))
    if (new_h, new_w) != (h1, w1):
        img = _resize(img, new_w, new_h, cv2.INTER_LINEAR)
    pad_h, pad_w = out_h - new_h, out_w - new_w
    top, left = int(round(pad_h // 2 - 0.1)), int(round(pad_w // 2 - 0.1))
    if pad_h or pad_w:
        img = cv2.copyMakeBorder(img, top, pad_h - top, left, pad_w - left, cv2.BORDER_CONSTANT,
                                 value=(spec.pad_val,) * 3)
    return img, Letterbox(new_w / w0, new_h / h0, left, top, w0, h0)


def normalize(images: Sequence[np.ndarray], spec: PreprocessSpec) -> np.ndarray:
    """Stack letterboxed HWC uint8 images into the network's NCHW float32 input."""
    if len(set(spec.std)) == 1:
        # OpenCV's blob maker does the swap, subtraction, scaling and transpose in one pass,
        # ~10x faster than numpy; it scales by one factor, hence the uniform-std condition.
        return cv2.dnn.blobFromImages(list(images), 1.0 / spec.std[0], None, spec.mean,
                                      spec.bgr_to_rgb, False)
    batch = np.stack(images).astype(np.float32)
    if spec.bgr_to_rgb:
        batch = batch[..., ::-1]
    batch = (batch - np.float32(spec.mean)) / np.float32(spec.std)
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


def preprocess(images: Sequence[np.ndarray],
               spec: PreprocessSpec) -> Tuple[np.ndarray, List[Letterbox]]:
    """Letterbox and normalise a batch of BGR uint8 images."""
    boxed = [letterbox(img, spec) for img in images]
    return normalize([b[0] for b in boxed], spec), [b[1] for b in boxed]


def to_original(dets: np.ndarray, box: Letterbox, min_score: float = 0.0) -> Detections:
    """Map network-input detections ``(K, 5)`` (x1, y1, x2, y2, score) back to the original
    image: undo the padding and the scale, clip, drop empty boxes and scores below
    ``min_score`` (exported NMS pads its output with zero-score rows)."""
    dets = dets[dets[:, 4] > min_score]
    boxes = (dets[:, :4] - [box.left, box.top, box.left, box.top]) / \
        [box.scale_x, box.scale_y, box.scale_x, box.scale_y]
    boxes = np.clip(boxes, 0, [box.width, box.height, box.width, box.height])
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    order = np.argsort(-dets[keep, 4], kind='stable')
    return Detections(boxes[keep][order].astype(np.float32),
                      dets[keep, 4][order].astype(np.float32))

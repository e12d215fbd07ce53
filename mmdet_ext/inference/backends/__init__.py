"""Inference backends: each maps a normalised NCHW float32 batch to per-image detections.

Every backend returns, per image, an ``(K, 5)`` float32 array ``x1, y1, x2, y2, score`` in
network-input pixels (after NMS); :class:`mmdet_ext.inference.Detector` does the rest, the same
way for all of them. Heavy imports (torch/mmdet, onnxruntime, tensorrt) happen in the backend
that needs them.
"""
from .onnxruntime_backend import OnnxRuntimeBackend
from .pytorch_backend import PyTorchBackend
from .tensorrt_backend import TensorRTBackend

__all__ = ['OnnxRuntimeBackend', 'PyTorchBackend', 'TensorRTBackend']

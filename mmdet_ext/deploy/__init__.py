"""Deployment: MMDeploy export (:mod:`.export`), parity checks (:mod:`.parity`) and Triton
Inference Server model repositories (:mod:`.triton`).

Only the Triton helpers are re-exported here: they need nothing but the standard library
(``onnx`` is imported when a model is read), so ``import mmdet_ext.deploy`` stays light.
"""
from .triton import (TensorSpec, TritonExport, build_model_config, export_triton_repository,
                     find_sidecar, read_onnx_signature)
from .triton_schema import (TritonConfigError, check_model_config, format_pbtxt, parse_pbtxt,
                            validate_pbtxt)

__all__ = ['TensorSpec', 'TritonConfigError', 'TritonExport', 'build_model_config',
           'check_model_config', 'export_triton_repository', 'find_sidecar', 'format_pbtxt',
           'parse_pbtxt', 'read_onnx_signature', 'validate_pbtxt']

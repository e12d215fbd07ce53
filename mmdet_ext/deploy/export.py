"""Export a trained model with MMDeploy: ONNX (end-to-end NMS) and, with a GPU, TensorRT."""
import os
import os.path as osp
from typing import Optional, Tuple

from mmengine.config import Config

from ..inference.detector import read_score_threshold, sidecar_path
from ..inference.preprocess import PreprocessSpec


def deploy_input_size(deploy_cfg: Config) -> Optional[Tuple[int, int]]:
    """``(width, height)`` of a static deploy config; None for a dynamic one."""
    shape = deploy_cfg.onnx_config.get('input_shape')
    return None if shape is None else (int(shape[0]), int(shape[1]))


def align_test_size(model_cfg: Config, size: Tuple[int, int]) -> Config:
    """Set the test pipeline's resize/letterbox to ``size`` (width, height).

    A static export fixes the network input; the model config's test pipeline (used by the
    PyTorch reference and by :class:`PreprocessSpec`) must produce the same size, or the two
    would be fed different pixels.
    """
    for t in model_cfg.test_dataloader.dataset.pipeline:
        if t['type'].split('.')[-1] in ('YOLOv5KeepRatioResize', 'LetterResize'):
            t['scale'] = tuple(size)
    return model_cfg


def export_onnx(model_cfg: Config, checkpoint: str, deploy_cfg: Config, work_dir: str,
                sample_image: str, device: str = 'cpu') -> str:
    """Export ``checkpoint`` to ``work_dir/end2end.onnx`` through MMDeploy (its rewriters put
    NMS in the graph; :mod:`mmdet_ext.compat` makes it use the TorchScript exporter)."""
    from mmdeploy.apis import torch2onnx

    from ..compat import tensorrt_onnx_export_on_cpu
    os.makedirs(work_dir, exist_ok=True)
    save_file = deploy_cfg.onnx_config.save_file
    with tensorrt_onnx_export_on_cpu():
        torch2onnx(sample_image, work_dir, save_file, deploy_cfg, model_cfg, checkpoint,
                   device=device)
    return osp.join(work_dir, save_file)


def build_tensorrt(onnx_path: str, deploy_cfg: Config, device: str = 'cuda:0') -> str:
    """Build ``<onnx stem>.engine`` beside the ONNX with MMDeploy's builder (it works with
    TensorRT 10) after registering TensorRT's built-in plugins (``EfficientNMS_TRT``)."""
    import tensorrt as trt
    from mmdeploy.backend.tensorrt.utils import from_onnx
    trt.init_libnvinfer_plugins(trt.Logger(trt.Logger.WARNING), '')
    backend = deploy_cfg.backend_config
    common = backend.get('common_config', {})
    prefix = osp.splitext(onnx_path)[0]
    from_onnx(onnx_path, prefix, input_shapes=backend.model_inputs[0].input_shapes,
              fp16_mode=common.get('fp16_mode', False),
              max_workspace_size=common.get('max_workspace_size', 1 << 30),
              device_id=int(device.split(':')[1]) if ':' in device else 0)
    return prefix + '.engine'


def write_sidecar(model_path: str, spec: PreprocessSpec, checkpoint: str,
                  score_thr: Optional[float] = None, tile_size: Optional[int] = None) -> str:
    """Write the preprocessing (and the calibrated score threshold and the inference tile
    size, when known) beside an exported model, where :class:`mmdet_ext.inference.Detector`
    looks for them."""
    if score_thr is None:
        score_thr = read_score_threshold(checkpoint)
    path = sidecar_path(model_path)
    spec.save(path, score_thr=score_thr, tile_size=tile_size,
              checkpoint=osp.abspath(checkpoint))
    return path

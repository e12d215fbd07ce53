"""ONNX export of a tiny trained model through MMDeploy, run in ONNX Runtime."""
import os.path as osp

import numpy as np
import onnx
import onnxruntime as ort

from conftest import REPO, make_tiny_cfg

DEPLOY_CFG = osp.join(REPO, 'deploy_configs', 'detection_onnxruntime_static-320x320.py')


def test_mmdeploy_onnx_export_runs_in_onnxruntime(trained_run, tiny_dataset, tmp_path):
    from mmdeploy.apis import torch2onnx
    _, work_dir = trained_run
    ckpt = str(sorted(work_dir.glob('epoch_*.pth'))[-1])
    image = str(sorted((tiny_dataset / 'images').iterdir())[0])
    model_cfg = make_tiny_cfg(tiny_dataset, tmp_path / 'w')
    torch2onnx(image, str(tmp_path), 'end2end.onnx', DEPLOY_CFG, model_cfg, ckpt, device='cpu')

    model = onnx.load(str(tmp_path / 'end2end.onnx'))
    # MMDeploy's rewriters ran (TorchScript exporter, see mmdet_ext.compat): NMS is in the graph.
    assert 'NonMaxSuppression' in {node.op_type for node in model.graph.node}
    session = ort.InferenceSession(str(tmp_path / 'end2end.onnx'),
                                   providers=['CPUExecutionProvider'])
    dets, labels = session.run(None, {'input': np.random.rand(1, 3, 320, 320).astype(np.float32)})
    assert dets.ndim == 3 and dets.shape[0] == 1 and dets.shape[2] == 5
    assert labels.shape == dets.shape[:2] and (labels == 0).all()

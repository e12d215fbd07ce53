"""ONNX Runtime backend for MMDeploy end-to-end exports (outputs ``dets``, ``labels``)."""
from typing import List

import numpy as np


class OnnxRuntimeBackend:
    """Runs an end-to-end ONNX detector (NMS inside the graph) with ONNX Runtime.

    Args:
        path: the ``.onnx`` file.
        device: ``'cpu'`` or ``'cuda[:N]'`` (CUDA provider when onnxruntime-gpu has it).
        threads: intra-op threads; 0 lets ONNX Runtime use every core.
    """
    name = 'onnxruntime'

    def __init__(self, path: str, device: str = 'cpu', threads: int = 0):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        providers = ['CPUExecutionProvider']
        if device.startswith('cuda') and 'CUDAExecutionProvider' in ort.get_available_providers():
            device_id = int(device.split(':')[1]) if ':' in device else 0
            providers.insert(0, ('CUDAExecutionProvider', dict(device_id=device_id)))
        self.session = ort.InferenceSession(path, options, providers=providers)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        batch = model_input.shape[0]
        # A static export takes a fixed batch (MMDeploy's static configs: 1).
        self.max_batch = batch if isinstance(batch, int) else None

    def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
        return list(self.session.run(['dets'], {self.input_name: batch})[0].astype(np.float32))

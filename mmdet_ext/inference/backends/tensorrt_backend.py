"""TensorRT backend on the TensorRT 10 tensor API (MMDeploy 1.3.1's wrapper predates it)."""
from typing import Dict, List

import numpy as np

_TORCH_DTYPES = dict(FLOAT='float32', HALF='float16', INT32='int32', INT64='int64',
                     INT8='int8', BOOL='bool', UINT8='uint8')


class TensorRTRunner:
    """Runs a serialized TensorRT engine with the TensorRT >= 10 API.

    MMDeploy 1.3.1's ``TRTWrapper`` calls ``get_binding_index``, ``binding_is_input``,
    ``set_binding_shape`` and ``execute_async_v2``, all removed in TensorRT 10. This runner uses
    their replacements (``get_tensor_name``, ``get_tensor_mode``, ``set_input_shape``,
    ``set_tensor_address``, ``execute_async_v3``) and torch tensors as device buffers. The
    engine is deserialized once; call it with ``{input_name: tensor}``.

    Args:
        engine_path: the serialized engine (``.engine`` / ``.plan``).
        device: CUDA device of the buffers.
        trt_module: the ``tensorrt`` module (injectable for tests without a GPU).
    """

    def __init__(self, engine_path: str, device: str = 'cuda:0', trt_module=None):
        if trt_module is None:
            import tensorrt as trt_module
        self.trt = trt_module
        logger = trt_module.Logger(trt_module.Logger.WARNING)
        # Registers TensorRT's built-in plugins (EfficientNMS_TRT) before deserializing.
        trt_module.init_libnvinfer_plugins(logger, '')
        with open(engine_path, 'rb') as f:
            self.engine = trt_module.Runtime(logger).deserialize_cuda_engine(f.read())
        if self.engine is None:
            raise RuntimeError(f'TensorRT could not deserialize {engine_path} (built with '
                               'another TensorRT version or GPU?)')
        self.context = self.engine.create_execution_context()
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        is_input = [self.engine.get_tensor_mode(n) == trt_module.TensorIOMode.INPUT
                    for n in names]
        self.input_names = [n for n, i in zip(names, is_input) if i]
        self.output_names = [n for n, i in zip(names, is_input) if not i]
        self.device = device

    def _torch_dtype(self, name: str):
        import torch
        trt_dtype = self.engine.get_tensor_dtype(name)
        return getattr(torch, _TORCH_DTYPES[trt_dtype.name])

    def __call__(self, feeds: Dict) -> Dict:
        """``{input name: torch tensor}`` -> ``{output name: torch tensor}`` on the device."""
        import torch
        missing = set(self.input_names) - set(feeds)
        if missing:
            raise KeyError(f'missing engine inputs: {sorted(missing)}')
        keep_alive = []
        for name in self.input_names:
            tensor = feeds[name].to(self.device, self._torch_dtype(name)).contiguous()
            keep_alive.append(tensor)
            self.context.set_input_shape(name, tuple(tensor.shape))
            self.context.set_tensor_address(name, tensor.data_ptr())
        outputs = {}
        for name in self.output_names:
            shape = tuple(self.context.get_tensor_shape(name))
            outputs[name] = torch.empty(shape, dtype=self._torch_dtype(name), device=self.device)
            self.context.set_tensor_address(name, outputs[name].data_ptr())
        on_gpu = str(self.device).startswith('cuda')
        stream = torch.cuda.current_stream(self.device).cuda_stream if on_gpu else 0
        if not self.context.execute_async_v3(stream):
            raise RuntimeError('TensorRT execute_async_v3 failed')
        if on_gpu:
            torch.cuda.current_stream(self.device).synchronize()
        return outputs


class TensorRTBackend:
    """End-to-end TensorRT detector built from an MMDeploy ONNX with ``EfficientNMS_TRT``
    (``use_efficientnms=True`` in the deploy config), so no MMDeploy plugin library is needed.

    Args:
        path: the engine file.
        device: CUDA device.
        trt_module: see :class:`TensorRTRunner`.
    """
    name = 'tensorrt'

    def __init__(self, path: str, device: str = 'cuda:0', trt_module=None):
        self.runner = TensorRTRunner(path, device, trt_module)
        self.input_name = self.runner.input_names[0]
        batch = self.runner.engine.get_tensor_shape(self.input_name)[0]
        self.max_batch = batch if batch > 0 else None  # -1: dynamic batch

    def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
        import torch
        dets = self.runner({self.input_name: torch.from_numpy(batch)})['dets']
        return list(dets.float().cpu().numpy())

"""PyTorch backend: the trained MMYOLO model itself, fed the deployment preprocessing."""
from typing import List

import numpy as np


def predict_network_input(model, batch: np.ndarray) -> List[np.ndarray]:
    """Run an MMDet/MMYOLO detector on a letterboxed, normalised ``NCHW`` float32 batch.

    The model's own data preprocessor is bypassed: the batch is already the network input.
    Returns per image a ``(K, 5)`` float32 array ``x1, y1, x2, y2, score`` in network-input
    pixels (``rescale=False``), after the model's own NMS.
    """
    import torch
    from mmdet.structures import DetDataSample
    height, width = batch.shape[2:]
    meta = dict(img_shape=(height, width), ori_shape=(height, width),
                batch_input_shape=(height, width), scale_factor=(1.0, 1.0),
                pad_param=np.zeros(4, np.float32))
    samples = [DetDataSample(metainfo=meta) for _ in range(len(batch))]
    device = next(model.parameters()).device
    with torch.no_grad():
        results = model.predict(torch.from_numpy(batch).to(device), samples, rescale=False)
    dets = []
    for result in results:
        pred = result.pred_instances
        dets.append(np.concatenate([pred.bboxes.cpu().numpy().reshape(-1, 4),
                                    pred.scores.cpu().numpy().reshape(-1, 1)], axis=1))
    return [d.astype(np.float32) for d in dets]


class PyTorchBackend:
    """Runs an MMYOLO checkpoint on already letterboxed, normalised batches.

    The model's own data preprocessor is bypassed on purpose: every backend receives the same
    tensor from :mod:`mmdet_ext.inference.preprocess`, so PyTorch and exported models differ
    only in the network and its NMS. Boxes come back in network-input pixels (``rescale=False``).

    Args:
        config: an MMYOLO config (path or ``Config``).
        checkpoint: the ``.pth`` file.
        device: torch device string.
    """
    name = 'pytorch'
    max_batch = None

    def __init__(self, config, checkpoint: str, device: str = 'cpu'):
        import mmdet_ext.components  # noqa: F401  (compat fixes + registration before building)
        from mmdet.apis import init_detector
        self.model = init_detector(config, checkpoint, device=device)
        self.device = device

    def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
        return predict_network_input(self.model, batch)

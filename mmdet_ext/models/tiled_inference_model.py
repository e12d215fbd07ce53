"""Tiled inference inside MMEngine's test loop, so ``tools/test.py`` scores the tiled path."""
from dataclasses import asdict
from functools import partial
from typing import List, Optional

import numpy as np
import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import InstanceData
from mmyolo.registry import MODELS

from ..inference.backends.pytorch_backend import predict_network_input
from ..inference.detections import Detections
from ..inference.detector import predict_letterboxed
from ..inference.preprocess import PASSIVE_TRANSFORMS, PreprocessSpec
from ..inference.tiling import check_stretch, tiled_predict


@MODELS.register_module()
class TiledInferenceModel(BaseTTAModel):
    """Wraps a detector so that each test image is detected by
    :func:`mmdet_ext.inference.tiled_predict`: overlapping tiles at (nearly) full resolution
    plus a downscaled full-image pass, boxes merged in image coordinates. It is the same
    function the service and ``tools/benchmark_real.py`` call, with the same letterbox
    preprocessing (:mod:`mmdet_ext.inference.preprocess`) for every tile.

    A ``BaseTTAModel`` because tiles are test-time views of the image, and because MMEngine
    loads a checkpoint (and EMA weights) into a ``BaseTTAModel``'s ``module`` unchanged. The
    test pipeline must hand over the photo unresized; :func:`use_tiled_inference` sets both up.

    Args:
        module: the detector (config dict or module); its own data preprocessor is bypassed.
        spec: :class:`~mmdet_ext.inference.PreprocessSpec` fields (the detector's
            letterbox and normalisation, ``PreprocessSpec.from_config``).
        tile_size, overlap, full_image_pass, merge, iou_thr, max_side, batch_size, min_side,
        stretch: as in :func:`~mmdet_ext.inference.tiled_predict` (``stretch``: the images not
            tiled are seen in stretched views, as the service does with
            ``ServiceSettings.stretch``).
    """

    def __init__(self, module, spec: dict, tile_size: int = 640, overlap: float = 0.25,
                 full_image_pass: bool = True, merge: str = 'nms', iou_thr: float = 0.5,
                 max_side: Optional[int] = None, batch_size: Optional[int] = 8,
                 min_side: int = 0, stretch: Optional[float] = None, data_preprocessor=None):
        check_stretch(stretch)  # a bad config fails when the model is built
        super().__init__(module, data_preprocessor)
        self.spec = PreprocessSpec.from_dict(spec)
        self.tiling = dict(tile_size=tile_size, overlap=overlap, full_image_pass=full_image_pass,
                           merge=merge, iou_thr=iou_thr, max_side=max_side,
                           batch_size=batch_size, min_side=min_side, stretch=stretch)

    def _predict_crops(self, crops: List[np.ndarray]) -> List[Detections]:
        return predict_letterboxed(partial(predict_network_input, self.module), crops, self.spec)

    def test_step(self, data: dict) -> list:
        """Detect each unresized image of a batch (see :func:`use_tiled_inference`)."""
        samples = data['data_samples']
        for image, sample in zip(data['inputs'], samples):
            # PackDetInputs made the loaded BGR HxWx3 photo a CxHxW tensor; undo that.
            bgr = np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy())
            dets = tiled_predict(self._predict_crops, bgr, **self.tiling)
            sample.pred_instances = InstanceData(
                bboxes=torch.from_numpy(dets.boxes), scores=torch.from_numpy(dets.scores),
                labels=torch.zeros(len(dets), dtype=torch.long))
        return samples

    def merge_preds(self, data_samples_list):
        """Unused: :meth:`test_step` merges the tiles itself (in :func:`tiled_predict`)."""
        raise NotImplementedError('TiledInferenceModel merges tiles in test_step')


def use_tiled_inference(cfg, **tiling) -> None:
    """Switch a test config to tiled inference, in place: the model becomes a
    :class:`TiledInferenceModel` around it (``tiling``: its tiling arguments) and the test
    pipeline loses its resize / letterbox, which each tile gets instead.

    Raises ValueError (from ``PreprocessSpec.from_config``) naming a test transform that the
    letterbox preprocessing does not reproduce: the tiles would see other pixels.
    """
    spec = PreprocessSpec.from_config(cfg)
    cfg.model = dict(type='TiledInferenceModel', module=cfg.model,
                     spec=asdict(spec), **tiling)
    dataset = cfg.test_dataloader.dataset
    dataset.pipeline = [t for t in dataset.pipeline
                        if t['type'].split('.')[-1] in PASSIVE_TRANSFORMS]

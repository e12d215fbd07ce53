from .losses import SmallObjectWeightedIoULoss
from .tiled_inference_model import TiledInferenceModel, use_tiled_inference

__all__ = ['SmallObjectWeightedIoULoss', 'TiledInferenceModel', 'use_tiled_inference']

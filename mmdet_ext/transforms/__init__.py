"""Data transforms not in MMDetection / MMYOLO (registered on import)."""
from .random_tile_crop import RandomTileCrop

__all__ = ['RandomTileCrop']

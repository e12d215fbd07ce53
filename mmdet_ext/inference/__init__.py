from .detections import Detections
from .detector import Detector
from .ensemble import Ensemble, fuse_models
from .predict import predict_coco
from .preprocess import PreprocessSpec
from .tiling import merge_detections, stretched_predict, tile_grid, tiled_predict

__all__ = ['Detections', 'Detector', 'Ensemble', 'PreprocessSpec', 'fuse_models',
           'merge_detections', 'predict_coco', 'stretched_predict', 'tile_grid', 'tiled_predict']

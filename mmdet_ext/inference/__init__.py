from .detections import Detections
from .detector import Detector
from .predict import predict_coco
from .preprocess import PreprocessSpec
from .tiling import merge_detections, tile_grid, tiled_predict

__all__ = ['Detections', 'Detector', 'PreprocessSpec', 'merge_detections', 'predict_coco',
           'tile_grid', 'tiled_predict']

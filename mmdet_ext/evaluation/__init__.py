from .f1_metric import DetectionF1Metric
from .matching import box_iou, match_image
from .report import (coco_map, collect_image_attributes, evaluate_detections, format_report,
                     save_report)

__all__ = ['DetectionF1Metric', 'box_iou', 'match_image', 'coco_map', 'collect_image_attributes',
           'evaluate_detections', 'format_report', 'save_report']

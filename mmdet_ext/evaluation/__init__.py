"""Evaluation: matching and F1 (numpy), reports (pycocotools), and the registered
:class:`DetectionF1Metric` (mmengine), which is imported on first use so that the matching
code stays free of the OpenMMLab stack (the service and the data tools use it)."""
from .matching import box_iou, match_image
from .report import (coco_map, collect_image_attributes, evaluate_detections, format_report,
                     save_report)

__all__ = ['DetectionF1Metric', 'box_iou', 'match_image', 'coco_map', 'collect_image_attributes',
           'evaluate_detections', 'format_report', 'save_report']


def __getattr__(name):
    if name == 'DetectionF1Metric':
        from .f1_metric import DetectionF1Metric
        return DetectionF1Metric
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

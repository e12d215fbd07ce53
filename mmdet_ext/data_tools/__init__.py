"""Generic COCO data tools: I/O, YOLO conversion, merging with dedupe, validation, split,
ignore regions.

Pure Python + Pillow (no OpenMMLab imports), used by the thin CLIs in ``tools/data/``.
"""
from .coco_io import (CocoFormatError, bbox_size_bucket, count_summary, load_coco,
                      read_image_size, save_coco)
from .ignore_regions import add_ignore_regions, apply_ignore_regions, load_ignore_regions
from .merge import dhash, image_signature, merge_coco, same_photo
from .split import image_group_key, kfold_coco, split_coco
from .validate import Problem, format_report, validate_coco
from .yolo_convert import YoloFormatError, coco_to_yolo, yolo_to_coco

__all__ = [
    'CocoFormatError', 'Problem', 'YoloFormatError', 'add_ignore_regions', 'apply_ignore_regions',
    'bbox_size_bucket', 'coco_to_yolo', 'count_summary', 'dhash', 'format_report',
    'image_group_key', 'image_signature', 'kfold_coco', 'load_coco', 'load_ignore_regions',
    'merge_coco', 'read_image_size', 'same_photo', 'save_coco', 'split_coco',
    'validate_coco', 'yolo_to_coco'
]

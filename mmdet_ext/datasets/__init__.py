from .one_class_coco import OneClassCocoDataset
from .small_object_repeat import SmallObjectRepeatDataset

__all__ = ['OneClassCocoDataset', 'SmallObjectRepeatDataset']

from .one_class_coco import OneClassCocoDataset

__all__ = ['OneClassCocoDataset']

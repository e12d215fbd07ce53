from .predict import predict_coco

__all__ = ['predict_coco']

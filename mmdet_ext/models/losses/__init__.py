from .small_object_iou_loss import SmallObjectWeightedIoULoss

__all__ = ['SmallObjectWeightedIoULoss']

from .losses import SmallObjectWeightedIoULoss

__all__ = ['SmallObjectWeightedIoULoss']

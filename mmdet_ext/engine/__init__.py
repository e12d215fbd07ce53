from .hooks import FreezeBackboneHook, HardNegativeMiningHook, ReproducibilityHook

__all__ = ['FreezeBackboneHook', 'HardNegativeMiningHook', 'ReproducibilityHook']

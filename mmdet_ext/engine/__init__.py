from .hooks import (ChannelsLastHook, FreezeBackboneHook, HardNegativeMiningHook,
                    ReproducibilityHook)

__all__ = ['ChannelsLastHook', 'FreezeBackboneHook', 'HardNegativeMiningHook',
           'ReproducibilityHook']

from .autocast_hook import AutocastHook
from .channels_last_hook import ChannelsLastHook
from .freeze_backbone_hook import FreezeBackboneHook
from .hard_negative_mining_hook import HardNegativeMiningHook
from .reproducibility_hook import ReproducibilityHook

__all__ = ['AutocastHook', 'ChannelsLastHook', 'FreezeBackboneHook', 'HardNegativeMiningHook',
           'ReproducibilityHook']

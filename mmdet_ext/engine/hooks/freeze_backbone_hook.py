"""Freeze parts of the model (the backbone by default) for the first epochs of training."""
from typing import Dict, List, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmyolo.registry import HOOKS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@HOOKS.register_module()
class FreezeBackboneHook(Hook):
    """Freeze ``modules`` (dotted attribute paths of the model) for the first ``freeze_epochs``
    epochs, then unfreeze them.

    Frozen means ``requires_grad=False`` on their parameters (the optimizer skips parameters
    without a gradient) and their batch-norm layers in eval mode, so that a pretrained
    backbone's statistics are not overwritten while the new head is still random. Parameters
    that were already frozen when training started (e.g. MMDet's ``frozen_stages``) stay frozen.

    The state is derived from ``runner.epoch`` at every epoch, never remembered, so a resumed
    run freezes exactly when an uninterrupted one would.

    Under DDP, parameters that get no gradient need ``model_wrapper_cfg=dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)``.

    Example (config)::

        custom_hooks = [dict(type='FreezeBackboneHook', freeze_epochs=3)]

    Args:
        freeze_epochs (int): Number of epochs (from the first) to keep the modules frozen.
        modules (Sequence[str]): Attribute paths of the modules to freeze, relative to the
            (unwrapped) model. Defaults to ``('backbone', )``.
    """

    priority = 'NORMAL'

    def __init__(self, freeze_epochs: int, modules: Sequence[str] = ('backbone', )):
        if freeze_epochs < 0:
            raise ValueError(f'freeze_epochs must be >= 0, got {freeze_epochs}')
        if isinstance(modules, str):
            modules = (modules, )
        self.freeze_epochs = freeze_epochs
        self.module_names = tuple(modules)
        self._trainable: Dict[str, List[nn.Parameter]] = {}
        self._frozen = None  # the state last applied (None: not yet)

    def _resolve(self, runner) -> Dict[str, nn.Module]:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        found = {}
        for name in self.module_names:
            module = model
            for attr in name.split('.'):
                if not hasattr(module, attr):
                    raise AttributeError(f'FreezeBackboneHook: the model has no module {name!r}')
                module = getattr(module, attr)
            found[name] = module
        return found

    def before_train(self, runner) -> None:
        """Remember which parameters of the modules were trainable to begin with."""
        self._trainable = {
            name: [p for p in module.parameters() if p.requires_grad]
            for name, module in self._resolve(runner).items()
        }
        self._frozen = None

    def before_train_epoch(self, runner) -> None:
        """Freeze or unfreeze according to the current epoch."""
        frozen = runner.epoch < self.freeze_epochs
        if frozen == self._frozen:
            return
        for params in self._trainable.values():
            for param in params:
                param.requires_grad_(not frozen)
        self._frozen = frozen
        state = f'frozen until epoch {self.freeze_epochs}' if frozen else 'trainable'
        runner.logger.info(f'FreezeBackboneHook: {", ".join(self.module_names)} {state} '
                           f'(epoch {runner.epoch + 1})')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Keep frozen batch norms in eval mode: the train loop calls ``model.train()`` after
        ``before_train_epoch``."""
        if not self._frozen:
            return
        for module in self._resolve(runner).values():
            for layer in module.modules():
                if isinstance(layer, _BatchNorm) and layer.training:
                    layer.eval()

"""Run chosen submodules' training forward under ``torch.autocast`` (bfloat16 on CPU)."""
from typing import Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmyolo.registry import HOOKS

# The YOLOv8 modules whose convolutions hold almost all of a step's arithmetic. The head's
# distribution decoding (softmax and a matmul with the bin centres), the assigner and the
# losses stay float32: bfloat16 keeps 8 bits of mantissa, too few for box geometry and IoU.
YOLOV8_CONV_MODULES = ('backbone', 'neck', 'bbox_head.head_module.cls_preds',
                       'bbox_head.head_module.reg_preds')


def _enter_autocast(module, args):
    if module.training:  # validation and test stay float32
        context = torch.autocast(module._autocast_device, dtype=module._autocast_dtype)
        context.__enter__()
        module._autocast_contexts.append(context)


def _exit_autocast(module, args, output):
    if not module._autocast_contexts:
        return None
    module._autocast_contexts.pop().__exit__(None, None, None)
    return _to_float32(output)


def _to_float32(value):
    """``value`` with its low-precision floating tensors cast to float32 (nested sequences)."""
    if isinstance(value, torch.Tensor):
        return value.float() if value.is_floating_point() else value
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float32(v) for v in value)
    return value


def _leaf_modules(model: torch.nn.Module, name: str) -> list:
    """The module called ``name`` in ``model``; a ModuleList (never called itself) gives its
    elements."""
    try:
        module = model.get_submodule(name)
    except AttributeError:
        raise AttributeError(f'AutocastHook: the model has no module {name!r}') from None
    return list(module) if isinstance(module, torch.nn.ModuleList) else [module]


def enable_autocast(model: torch.nn.Module, modules: Sequence[str], dtype: torch.dtype,
                    device_type: str = 'cpu') -> None:
    """Make each of ``modules`` (dotted names in ``model``) run its training forward under
    ``torch.autocast(device_type, dtype)`` and return float32 tensors. In place, idempotent;
    the hooks live on the modules, so a deep copy (an EMA model) carries them too."""
    for name in modules:
        for module in _leaf_modules(model, name):
            if getattr(module, '_autocast_contexts', None) is not None:
                continue
            module._autocast_device, module._autocast_dtype = device_type, dtype
            module._autocast_contexts = []
            module.register_forward_pre_hook(_enter_autocast)
            module.register_forward_hook(_exit_autocast, always_call=True)


@HOOKS.register_module()
class AutocastHook(Hook):
    """Mixed-precision training on CPU: the convolutions in bfloat16, the rest in float32.

    MMEngine's ``AmpOptimWrapper`` needs a GPU (or NPU/MLU), and it would cast the whole
    forward, loss included. This hook wraps only ``modules`` in ``torch.autocast`` during
    training, so their convolutions and matrix products run in ``dtype`` (oneDNN uses the
    CPU's bfloat16 instructions where it has them: AVX512-BF16, AMX) while their outputs, the
    box decoding, the assigner and the losses stay float32. Weights, gradients and the
    optimizer stay float32 (no loss scaling is needed for bfloat16), so checkpoints, EMA,
    validation, ``tools/test.py`` and export are unchanged: evaluation runs in ``eval()`` mode,
    which the hook leaves in float32. It changes the training arithmetic, so a recipe that
    turns it on is a new recipe (score it as one). Without native bfloat16 the CPU emulates it,
    slower than float32: measure first (``tools/benchmark_train_step.py --precisions``).

    Example (config)::

        custom_hooks = [dict(type='AutocastHook')]

    Args:
        modules (Sequence[str]): Dotted names of the model's submodules (inside a DDP
            wrapper) to autocast; a ``ModuleList`` stands for its elements. Defaults to
            YOLOv8's backbone, neck and head convolution branches.
        dtype (str): ``'bfloat16'`` or ``'float16'``. Defaults to ``'bfloat16'``.
        device_type (str): ``torch.autocast`` device. Defaults to ``'cpu'``.
    """

    def __init__(self, modules: Sequence[str] = YOLOV8_CONV_MODULES, dtype: str = 'bfloat16',
                 device_type: str = 'cpu'):
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(f"AutocastHook: dtype must be 'bfloat16' or 'float16', got {dtype!r}")
        self.modules = tuple(modules)
        self.dtype = getattr(torch, dtype)
        self.device_type = device_type

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        enable_autocast(model, self.modules, self.dtype, self.device_type)

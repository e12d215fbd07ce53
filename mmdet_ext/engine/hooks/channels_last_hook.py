"""Train the model's convolutions in the channels-last (NHWC) memory layout."""
import torch
from mmengine.hooks import EMAHook, Hook
from mmengine.model import is_model_wrapper
from mmyolo.registry import HOOKS


def _to_channels_last(module, args):
    """Forward pre-hook: the image batch in channels-last layout (same values)."""
    return tuple(a.contiguous(memory_format=torch.channels_last)
                 if isinstance(a, torch.Tensor) and a.dim() == 4 else a for a in args)


def convert_to_channels_last(model: torch.nn.Module, input_module: str = 'backbone') -> None:
    """Store ``model``'s 4-d tensors channels-last and feed ``model.<input_module>`` (its first
    positional argument, the image batch) channels-last. In place and idempotent."""
    entry = getattr(model, input_module, None)
    if not isinstance(entry, torch.nn.Module):
        raise AttributeError(f'ChannelsLastHook: the model has no module {input_module!r}')
    model.to(memory_format=torch.channels_last)  # parameters keep their identity
    if not getattr(entry, '_channels_last_input', False):
        entry.register_forward_pre_hook(_to_channels_last)
        entry._channels_last_input = True


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Train in channels-last memory layout: weights stored NHWC, the backbone fed NHWC.

    PyTorch's CPU convolutions (oneDNN) work in NHWC; with NCHW tensors every convolution,
    forward and backward, pays for reorders. Weights *and* input must be channels-last: the
    weights alone gain almost nothing. Measured with ``tools/benchmark_train_step.py`` on
    2 CPU cores (``benchmarks/train_step_cpu_*.md``): a YOLOv8-n train step, batch 8, median
    1.04 s -> 0.88 s at 640 px, 0.23 s -> 0.21 s at 320 px. It is the same float32
    arithmetic in another order, so results differ by rounding alone; checkpoints hold the
    same tensors (``load_state_dict`` copies into whatever layout a model has).

    Training only (``before_train``, after a resume has loaded the weights): the model is
    converted in place, so the optimizer keeps its parameters, and MMEngine's ``EMAHook``
    builds its averaged copy again from the converted model. ``tools/test.py`` keeps
    PyTorch's default layout, so its predictions equal the inference API's to the last digit.

    Example (config)::

        custom_hooks = [dict(type='ChannelsLastHook')]

    Args:
        input_module (str): Attribute of the model (inside a DDP wrapper) whose input is
            converted. Defaults to ``'backbone'``.
    """

    def __init__(self, input_module: str = 'backbone'):
        self.input_module = input_module

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        convert_to_channels_last(model, self.input_module)
        for hook in runner.hooks:
            if isinstance(hook, EMAHook) and hasattr(hook, 'ema_model'):
                # An averaged model keeps the tensors it reads and writes from when it was
                # built (``state_dict()`` views with ``update_buffers=True``), and the
                # conversion gave the model new ones: build it again from the converted model,
                # keeping what it had averaged (a resume restored that).
                averaged = hook.ema_model.state_dict()
                hook.before_run(runner)
                hook.ema_model.load_state_dict(averaged)

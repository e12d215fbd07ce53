"""The only place that adapts upstream OpenMMLab code to current PyTorch.

Each fix names the upstream change it answers, is applied once on ``import mmdet_ext`` and is
idempotent. Nothing here weakens a safety check globally: ``torch.load`` keeps
``weights_only=True``; we only allow-list the classes an mmengine checkpoint contains.
"""
import contextlib
import functools

import numpy as np
import torch


def allow_mmengine_checkpoints() -> None:
    """Let ``torch.load`` (``weights_only=True`` by default since PyTorch 2.6) read mmengine
    checkpoints.

    mmengine's ``CheckpointHook`` pickles the ``MessageHub`` state, whose log buffers are
    ``mmengine.logging.HistoryBuffer`` objects holding numpy arrays, and numpy scalars in the
    runtime info. These are plain data containers, so allow-listing them keeps the guarantee
    that loading a checkpoint cannot run arbitrary code.
    """
    from mmengine.logging import HistoryBuffer

    # HistoryBuffer.__getstate__ also pickles its statistics methods, as
    # ``getattr(HistoryBuffer, 'mean')``: allow-listing ``getattr`` would let a checkpoint
    # reach any attribute, so instead stop writing them. ``__setstate__`` already restores
    # the defaults, and custom methods are class-level, re-registered when their module is
    # imported. (Checkpoints written before this fix need ``weights_only=False``.)
    if not getattr(HistoryBuffer.__getstate__, '__safe_state__', False):

        def __getstate__(self):
            state = dict(self.__dict__)
            state.pop('statistics_methods', None)
            return state

        __getstate__.__safe_state__ = True
        HistoryBuffer.__getstate__ = __getstate__

    numpy_core = np._core if hasattr(np, '_core') else np.core  # numpy 2 renamed np.core
    allowed = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        numpy_core.multiarray._reconstruct,
        numpy_core.multiarray.scalar,
    ]
    # numpy >= 1.25 pickles dtypes as instances of per-type classes (np.dtypes.Float64DType...).
    allowed += [getattr(np.dtypes, name) for name in dir(np.dtypes) if name.endswith('DType')]
    torch.serialization.add_safe_globals(allowed)


def _drop_scope(collate_fn):
    """Wrap a collate function so it ignores the ``_scope_`` key.

    A config that inherits ``mmyolo::...`` gets ``_scope_='mmyolo'`` added to every dict,
    ``collate_fn=dict(type='yolov5_collate')`` included; mmengine's ``Runner.build_dataloader``
    then passes every remaining key to ``partial(collate_fn, **cfg)``, and ``yolov5_collate``
    fails with "unexpected keyword argument '_scope_'".
    """

    @functools.wraps(collate_fn)
    def wrapper(data_batch, *args, _scope_=None, **kwargs):
        return collate_fn(data_batch, *args, **kwargs)

    wrapper.__wrapped_collate__ = True
    return wrapper


def accept_scope_in_yolov5_collate() -> None:
    """Re-register MMYOLO's ``yolov5_collate`` so it tolerates ``_scope_`` (see
    :func:`_drop_scope`)."""
    from mmengine.registry import FUNCTIONS  # MMYOLO registers it in mmengine's root registry
    from mmyolo.datasets import utils as mmyolo_dataset_utils

    collate = FUNCTIONS.get('yolov5_collate')
    if getattr(collate, '__wrapped_collate__', False):
        return
    wrapped = _drop_scope(collate)
    FUNCTIONS.register_module(name='yolov5_collate', module=wrapped, force=True)
    mmyolo_dataset_utils.yolov5_collate = wrapped


def use_torchscript_onnx_exporter() -> None:
    """Make MMDeploy's ONNX export use PyTorch's TorchScript exporter.

    Since PyTorch 2.9 ``torch.onnx.export`` defaults to ``dynamo=True``. MMDeploy 1.3.1 works
    by rewriting functions while the TorchScript tracer runs (``RewriterContext``) and passes
    no ``dynamo`` argument, so its rewriters are skipped and symbolic ops fail. We wrap
    MMDeploy's ``export`` pipeline so that, for the duration of that call only,
    ``torch.onnx.export`` defaults to ``dynamo=False``; other callers keep PyTorch's default.
    Applied when ``mmdeploy`` is importable (it is an optional part of the stack).
    """
    try:
        import mmdeploy.apis.onnx as mmdeploy_onnx
    except ImportError:
        return
    export = mmdeploy_onnx.export
    if getattr(export, '__torchscript_exporter__', False):
        return

    @functools.wraps(export)
    def export_with_torchscript(*args, **kwargs):
        original = torch.onnx.export
        torch.onnx.export = functools.partial(original, dynamo=False)
        try:
            return export(*args, **kwargs)
        finally:
            torch.onnx.export = original

    export_with_torchscript.__torchscript_exporter__ = True
    mmdeploy_onnx.export = export_with_torchscript


@contextlib.contextmanager
def tensorrt_onnx_export_on_cpu():
    """Let MMDeploy trace a TensorRT-flavoured ONNX on the CPU, inside this block only.

    ``build_task_processor`` refuses ``device='cpu'`` for a TensorRT deploy config, although
    tracing the graph needs no GPU (only building and running the engine do). Lifting the
    check for the export lets a CPU machine produce the ONNX that a GPU machine then builds.
    """
    from mmdeploy.apis.utils import utils as mmdeploy_utils
    check = mmdeploy_utils.check_backend_device

    def check_except_tensorrt_cpu(deploy_cfg, device):
        from mmdeploy.utils import get_backend
        if not (get_backend(deploy_cfg).value == 'tensorrt' and device == 'cpu'):
            check(deploy_cfg=deploy_cfg, device=device)

    mmdeploy_utils.check_backend_device = check_except_tensorrt_cpu
    try:
        yield
    finally:
        mmdeploy_utils.check_backend_device = check


def apply_all() -> None:
    """Apply every fix in this module (idempotent)."""
    allow_mmengine_checkpoints()
    accept_scope_in_yolov5_collate()
    use_torchscript_onnx_exporter()

"""An IoU box loss that weights each positive by the size of its target box in image pixels."""
from typing import Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.module import register_module_module_registration_hook
from mmyolo.models.losses import IoULoss
from mmyolo.models.losses.iou_loss import bbox_overlaps
from mmyolo.registry import MODELS


@MODELS.register_module()
class SmallObjectWeightedIoULoss(IoULoss):
    """MMYOLO's :class:`IoULoss` with per-positive weights that favour small target boxes.

    Each positive's weight (the head's own weight, e.g. YOLOv8's assigned score) is multiplied by

    ``w = clip(1 + alpha * (1 - sqrt(area / ref_area)), min_weight, max_weight)``

    where ``area`` is the target box's area in **input-image pixels** (after resize/letterbox),
    and, with ``focal_gamma > 0``, by ``(1 - IoU) ** focal_gamma`` (IoU detached, clamped to
    [0, 1]): a focal term that leans on the badly localised positives, which small boxes mostly
    are. With ``alpha=0`` and ``focal_gamma=0`` it is exactly ``IoULoss``.

    **Units.** YOLOv8's head (``YOLOv8Head.loss_by_feat``) divides predictions and targets by
    the stride of each positive's prior before calling ``loss_bbox``, so the boxes arriving here
    are in units of 8, 16 or 32 pixels, and one box can be a positive on several levels. To
    measure pixels the loss needs each positive's stride. It takes it, in this order, from:

    1. the ``strides`` argument of :meth:`forward`;
    2. the head's assigner: when this loss is set as a module's attribute next to an
       ``assigner`` (as ``bbox_head.loss_bbox`` next to ``bbox_head.assigner``), it hooks the
       assigner's forward and keeps ``priors[:, 2]`` (MMYOLO priors carry their stride) at the
       assigner's positives (``fg_mask_pre_prior``), in the order ``loss_by_feat`` selects
       them. This makes it a drop-in for ``bbox_head.loss_bbox`` of YOLOv8 (and other heads
       using MMYOLO's ``BatchTaskAlignedAssigner``); :meth:`bind` does it by hand;
    3. ``fallback_stride`` (e.g. 1.0 for a head that passes pixel boxes), else an error.

    The weights raise the box loss of small objects relative to large ones (and the total box
    loss); ``loss_weight`` may be lowered to keep its balance with the other losses.

    Example (config)::

        model = dict(bbox_head=dict(loss_bbox=dict(
            type='SmallObjectWeightedIoULoss', alpha=1.0, ref_area=32 * 32, max_weight=2.0,
            iou_mode='ciou', bbox_format='xyxy', reduction='sum', loss_weight=7.5,
            return_iou=False)))

    Args:
        alpha (float): Strength of the size weighting; 0 turns it off. Defaults to 1.0.
        ref_area (float): Area (pixels²) at which the size weight reaches 1; larger boxes get
            ``min_weight``. Defaults to 32 * 32, COCO's small/medium boundary.
        min_weight (float): Lower clip of the size weight. Defaults to 1.0 (large boxes keep
            their usual weight).
        max_weight (float): Upper clip of the size weight. Defaults to 2.0.
        focal_gamma (float): Exponent of the focal term ``(1 - IoU) ** gamma``; 0 turns it off.
            Defaults to 0.
        fallback_stride (float, optional): Pixels per box unit when no stride is known.
            Defaults to None (an error instead).
        **kwargs: Arguments of ``IoULoss`` (``iou_mode``, ``bbox_format``, ``eps``,
            ``reduction``, ``loss_weight``, ``return_iou``).
    """

    def __init__(self,
                 alpha: float = 1.0,
                 ref_area: float = 32 * 32,
                 min_weight: float = 1.0,
                 max_weight: float = 2.0,
                 focal_gamma: float = 0.0,
                 fallback_stride: Optional[float] = None,
                 **kwargs):
        super().__init__(**kwargs)
        if ref_area <= 0 or not 0 < min_weight <= max_weight or alpha < 0 or focal_gamma < 0:
            raise ValueError('need ref_area > 0, 0 < min_weight <= max_weight, alpha >= 0 and '
                             f'focal_gamma >= 0; got ref_area={ref_area}, min_weight='
                             f'{min_weight}, max_weight={max_weight}, alpha={alpha}, '
                             f'focal_gamma={focal_gamma}')
        self.alpha = alpha
        self.ref_area = ref_area
        self.min_weight = min_weight
        self.max_weight = max_weight
        self.focal_gamma = focal_gamma
        self.fallback_stride = fallback_stride
        self._pending_strides: Optional[Tensor] = None
        self._assigner_hook = None

    # ------------------------------------------------------------------ strides
    def bind(self, assigner: nn.Module) -> None:
        """Take the strides of the positives from every forward of ``assigner`` (see above)."""
        if self._assigner_hook is not None:
            self._assigner_hook.remove()
        self._assigner_hook = assigner.register_forward_hook(self._capture_strides,
                                                             with_kwargs=True)

    def _capture_strides(self, assigner, args, kwargs, output) -> None:
        """Forward hook of the assigner: keep the stride of each positive prior."""
        priors = kwargs.get('priors', args[2] if len(args) > 2 else None)
        fg_mask = output.get('fg_mask_pre_prior') if isinstance(output, dict) else None
        if priors is None or fg_mask is None or priors.shape[-1] < 3:
            self._pending_strides = None  # not an assigner we understand: no stale strides
            return
        # masked_select over (batch, prior) in row-major order, as loss_by_feat selects them
        self._pending_strides = priors[:, 2].expand_as(fg_mask)[fg_mask.bool()]

    def _take_strides(self, num: int, strides: Optional[Tensor]) -> Tensor:
        """The stride of each of ``num`` positives; the captured ones are used once."""
        if strides is None:
            strides, self._pending_strides = self._pending_strides, None
        if strides is None:
            if self.fallback_stride is None:
                raise RuntimeError(
                    'SmallObjectWeightedIoULoss: the strides of the positives are unknown. Use '
                    'it as bbox_head.loss_bbox of a head with an MMYOLO assigner, call '
                    'loss.bind(assigner), pass strides=..., or set fallback_stride.')
            return torch.full((num, ), float(self.fallback_stride))
        strides = strides.reshape(-1)
        if strides.numel() != num:
            raise RuntimeError(f'SmallObjectWeightedIoULoss: {strides.numel()} strides for '
                               f'{num} positives; the assigner and the loss disagree.')
        return strides

    # ------------------------------------------------------------------ weights
    def size_weight(self, target: Tensor, strides: Tensor) -> Tensor:
        """Weight of each target box from its area in pixels, shape (n, )."""
        if self.bbox_format == 'xyxy':
            wh = target[..., 2:] - target[..., :2]
        else:
            wh = target[..., 2:]
        area = wh.clamp(min=0).prod(-1) * strides.to(target)**2
        weight = 1 + self.alpha * (1 - (area / self.ref_area).sqrt())
        return weight.clamp(self.min_weight, self.max_weight)

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[Union[str, bool]] = None,
                strides: Optional[Tensor] = None) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """As :meth:`IoULoss.forward`, with the size (and focal) weights applied.

        Args:
            strides (Tensor, optional): Pixels per box unit of each positive, shape (n, ) or
                (n, 1). Defaults to the ones captured from the assigner.
        """
        strides = self._take_strides(pred.shape[0], strides).to(pred.device)
        with torch.no_grad():
            extra = self.size_weight(target, strides)
            if self.focal_gamma > 0:
                iou = bbox_overlaps(pred, target, iou_mode=self.iou_mode,
                                    bbox_format=self.bbox_format, eps=self.eps)
                extra = extra * (1 - iou.clamp(0, 1))**self.focal_gamma
        if weight is None:
            weight = extra
        else:  # IoULoss averages a (n, k) weight over k; do it first, then scale
            weight = (weight.mean(-1) if weight.dim() > 1 else weight) * extra
        return super().forward(pred, target, weight=weight, avg_factor=avg_factor,
                               reduction_override=reduction_override)


def _bind_to_sibling_assigner(parent: nn.Module, name: str, child: nn.Module) -> None:
    """Global module-registration hook: bind a SmallObjectWeightedIoULoss to the ``assigner``
    of the module it is set on, whichever of the two is set first."""
    if isinstance(child, SmallObjectWeightedIoULoss):
        assigner = parent._modules.get('assigner')
        if isinstance(assigner, nn.Module):
            child.bind(assigner)
    elif name == 'assigner':
        for module in parent._modules.values():
            if isinstance(module, SmallObjectWeightedIoULoss):
                module.bind(child)


# Registered once per process (a module is imported once); it only reacts to this loss class.
_REGISTRATION_HOOK = register_module_module_registration_hook(_bind_to_sibling_assigner)

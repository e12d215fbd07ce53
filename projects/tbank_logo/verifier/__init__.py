"""The Tinkoff verifier: an optional second stage for the detector's doubtful boxes.

A small CNN looks at a crop around each box whose score lies in a band and drops the ones it
judges look-alikes (the old Tinkoff coat of arms, other shields, a bare T). Trained in torch by
``tools/train_verifier.py``, exported to ONNX, run with onnxruntime by :class:`LogoVerifier`,
which the service takes as its ``verifier`` (``tools/serve.py --verifier``).

Modules: :mod:`.crops` (crop geometry), :mod:`.real` (the real photos, split by photo),
:mod:`.data` (crop datasets), :mod:`.model` (the network, ONNX export), :mod:`.train`,
:mod:`.verifier` (:class:`LogoVerifier`) and :mod:`.effect` (its effect on detections).
The torch modules (:mod:`.model`, :mod:`.train`) are imported only by training.
"""
from .crops import context_window, crop_batch, crop_with_context
from .verifier import LogoVerifier

__all__ = ['LogoVerifier', 'context_window', 'crop_batch', 'crop_with_context']

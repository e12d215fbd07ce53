"""Importing this module applies the compatibility fixes (:mod:`mmdet_ext.compat`) and registers
every component with the MMYOLO / MMDetection registries: configs name it in
``custom_imports = dict(imports=['mmdet_ext.components'])``.

Kept apart from the package's ``__init__`` so that what needs no OpenMMLab stack (the ONNX
Runtime ``Detector``, the service, the data tools) imports without torch, mmengine, mmcv, mmdet
or mmyolo.
"""
from . import compat

compat.apply_all()

# registration on import
from . import datasets, engine, models, transforms  # noqa: E402,F401
from .evaluation import f1_metric  # noqa: E402,F401

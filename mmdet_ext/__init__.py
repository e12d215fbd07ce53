"""mmdet_ext: an MMYOLO plugin for one-class, small-object detectors.

Importing the package applies the compatibility fixes (:mod:`mmdet_ext.compat`) and registers
every component with the MMYOLO / MMDetection registries, so configs only need
``custom_imports = dict(imports=['mmdet_ext'])``.
"""
from . import compat

compat.apply_all()

# registration on import
from . import datasets, engine, evaluation, models, transforms  # noqa: E402,F401

__version__ = '0.1.0'

"""mmdet_ext: an MMYOLO plugin for one-class, small-object detectors.

Importing the package applies the compatibility fixes (:mod:`mmdet_ext.compat`) and registers
every component with the MMYOLO / MMDetection registries, so configs only need
``custom_imports = dict(imports=['mmdet_ext'])``.
"""
from . import compat

compat.apply_all()

from . import datasets, evaluation  # noqa: E402,F401  (registration on import)

__version__ = '0.1.0'

"""mmdet_ext: an MMYOLO plugin for one-class, small-object detectors.

Importing the package (or its inference, data-tool and service-facing modules) loads no
OpenMMLab stack; :mod:`mmdet_ext.components` applies the compatibility fixes and registers
every component, so configs only need ``custom_imports = dict(imports=['mmdet_ext.components'])``.
"""
__version__ = '0.1.0'

"""The T-Bank components registered with MMYOLO's registries.

Configs import this module (``custom_imports``); it is kept apart from the
``projects.tbank_logo`` package so that the synthetic-data generator imports without the
OpenMMLab stack.
"""
import mmdet_ext.components  # noqa: F401  (compat fixes + generic components)

from .dataset import TBankLogoDataset
from .metric import TBankF1Metric

__all__ = ['TBankLogoDataset', 'TBankF1Metric']

"""T-Bank logo detector: the T-Bank specifics on top of the generic ``mmdet_ext`` plugin."""
import mmdet_ext  # noqa: F401  (compat fixes + generic components)

from .dataset import TBankLogoDataset
from .metric import TBankF1Metric

__all__ = ['TBankLogoDataset', 'TBankF1Metric']

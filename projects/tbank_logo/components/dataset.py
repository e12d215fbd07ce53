"""The T-Bank logo dataset: one category, ``tbank_logo``."""
from mmyolo.registry import DATASETS

from mmdet_ext.datasets import OneClassCocoDataset


@DATASETS.register_module()
class TBankLogoDataset(OneClassCocoDataset):
    """COCO dataset of T-Bank logos; images without a logo are kept as negatives.

    The category name in the annotation file must be ``tbank_logo`` (as written by the
    synthetic generator and in the real photo sets). Arguments as for
    :class:`mmdet_ext.datasets.OneClassCocoDataset`.
    """

    METAINFO = dict(classes=('tbank_logo', ), palette=[(255, 221, 45)])

"""F1 metric under the ``tbank/`` prefix (``save_best='tbank/f1'``)."""
from mmyolo.registry import METRICS

from mmdet_ext.evaluation import DetectionF1Metric


@METRICS.register_module()
class TBankF1Metric(DetectionF1Metric):
    """:class:`mmdet_ext.evaluation.DetectionF1Metric` reporting as ``tbank/f1``,
    ``tbank/best_f1``, ``tbank/mAP50``... Arguments as for the parent."""

    default_prefix = 'tbank'

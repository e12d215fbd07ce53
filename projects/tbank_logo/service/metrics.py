"""Prometheus metrics of one app, in a registry of its own (two apps in a process never clash)."""
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge,
                               Histogram, ProcessCollector, generate_latest)

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 10, 15)
_SCORE_BUCKETS = tuple(round(0.05 * i, 2) for i in range(1, 21))
_COUNT_BUCKETS = (0, 1, 2, 3, 5, 10, 20, 50, 100)


class ServiceMetrics:
    """The service's metrics; :meth:`render` is the ``/metrics`` body.

    Names: ``tbank_request_seconds{status}`` (the whole ``/detect`` request),
    ``tbank_stage_seconds{stage=queue|decode|infer|postprocess}``,
    ``tbank_detections_per_image``, ``tbank_detection_score`` (answered boxes),
    ``tbank_timeouts_total``, ``tbank_errors_total{kind}``, ``tbank_inference_path_total{path}``,
    ``tbank_in_flight``, ``tbank_model_ready``, ``tbank_retrain_images_total{outcome}``, and
    the standard ``process_*`` (resident memory, CPU) of the serving process.
    """

    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        self.request_seconds = Histogram('tbank_request_seconds', 'POST /detect latency',
                                         ['status'], buckets=_LATENCY_BUCKETS, registry=r)
        self.stage_seconds = Histogram('tbank_stage_seconds', 'time per processing stage',
                                       ['stage'], buckets=_LATENCY_BUCKETS, registry=r)
        self.detections = Histogram('tbank_detections_per_image', 'boxes answered per image',
                                    buckets=_COUNT_BUCKETS, registry=r)
        self.scores = Histogram('tbank_detection_score', 'confidence of answered boxes',
                                buckets=_SCORE_BUCKETS, registry=r)
        self.timeouts = Counter('tbank_timeouts', 'images abandoned past the timeout',
                                registry=r)
        self.errors = Counter('tbank_errors', 'refused or failed requests', ['kind'],
                              registry=r)
        self.paths = Counter('tbank_inference_path', 'images per inference path', ['path'],
                             registry=r)
        self.in_flight = Gauge('tbank_in_flight', 'images admitted (running or queued)',
                               registry=r)
        self.ready = Gauge('tbank_model_ready', '1 once the model is loaded', registry=r)
        self.retrain = Counter('tbank_retrain_images', 'uncertain images offered to the pool',
                               ['outcome'], registry=r)

    def render(self):
        """``(body, content_type)`` of the exposition format."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

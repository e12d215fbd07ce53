"""What both sides of the anchor benchmark share; standard library only, because the worker
imports it inside the throw-away environment (as ``common``), where this project is absent."""
import math
from typing import Dict, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, as ``numpy.percentile``."""
    if not values:
        raise ValueError('percentile of no values')
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summarize(seconds: Sequence[float]) -> Dict[str, float]:
    """Median, p90, p99, mean, min and max of per-call wall times, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return dict(n=len(ms), median_ms=percentile(ms, 50), p90_ms=percentile(ms, 90),
                p99_ms=percentile(ms, 99), mean_ms=sum(ms) / len(ms), min_ms=min(ms),
                max_ms=max(ms))


def pin_ort_threads(threads: int) -> None:
    """Make every ONNX Runtime session created from now on use ``threads`` intra-op threads.

    Neither side exposes the setting the same way (Ultralytics' ``predict`` not at all), so
    ``onnxruntime.InferenceSession`` is replaced by a subclass that sets it; both sides go
    through the same replacement. 0 keeps ONNX Runtime's default (one thread per core).
    """
    import onnxruntime as ort
    base = getattr(ort.InferenceSession, '_anchor_base', ort.InferenceSession)

    class PinnedSession(base):
        _anchor_base = base

        def __init__(self, path_or_bytes, sess_options=None, *args, **kwargs):
            options = sess_options if sess_options is not None else ort.SessionOptions()
            options.intra_op_num_threads = threads
            super().__init__(path_or_bytes, options, *args, **kwargs)

    ort.InferenceSession = PinnedSession

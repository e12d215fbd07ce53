"""The detection service: ``POST /detect`` over any :class:`mmdet_ext.inference.Detector`.

Modules: :mod:`.app` (FastAPI app factory), :mod:`.decode` (untrusted bytes -> BGR image),
:mod:`.pipeline` (tiled or resized inference, verifier), :mod:`.runner` (timeout, bounded
queue), :mod:`.http_server` (uvicorn with JSON errors), :mod:`.memory` (glibc thresholds),
:mod:`.metrics`, :mod:`.retrain_pool`, :mod:`.logging_json`, :mod:`.settings`,
:mod:`.testing` (a model-free detector double and upload corpora) and :mod:`.bench` (load
and fuzz drivers).
"""
__all__ = ['create_app', 'ServiceSettings']


def __getattr__(name):
    # Lazy: `.app` imports FastAPI, OpenCV and the inference code; logging is set up first.
    if name == 'create_app':
        from .app import create_app
        return create_app
    if name == 'ServiceSettings':
        from .settings import ServiceSettings
        return ServiceSettings
    raise AttributeError(name)

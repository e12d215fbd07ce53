"""The FastAPI app: ``POST /detect``, ``GET /health``, ``GET /metrics``, OpenAPI at ``/docs``.

``create_app`` takes any detector object (the :class:`mmdet_ext.inference.Detector` of any
backend, or a test double with the same ``predict_raw``/``input_size``/``score_thr``), or a
factory that loads one in the background after start-up, so that ``/health`` can say
"loading" meanwhile.
"""
import threading
import time
from contextlib import asynccontextmanager
from typing import Callable, Dict, List, Optional

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from .decode import ImageError, decode_image
from .logging_json import REQUEST_ID_HEADER, get_logger, new_request_id, request_id_var
from .metrics import ServiceMetrics
from .pipeline import Verifier, detect, to_int_boxes
from .retrain_pool import RetrainPool
from .runner import Abandoned, Deadline, InferenceRunner, Overloaded, TimedOut
from .settings import ServiceSettings

MULTIPART_SLACK = 64 * 1024  # multipart headers and boundaries around the file


class BBox(BaseModel):
    x_min: int = Field(ge=0)
    y_min: int = Field(ge=0)
    x_max: int = Field(ge=0)
    y_max: int = Field(ge=0)


class DetectionOut(BaseModel):
    bbox: BBox
    score: float = Field(description='confidence in [0, 1] (extra field)')


class DetectResponse(BaseModel):
    detections: List[DetectionOut]
    width: int = Field(description='width of the image the boxes refer to (EXIF-upright)')
    height: int = Field(description='height of that image')
    inference_path: str = Field(description="'full', 'resized' or 'tiled'")
    timing_ms: Dict[str, float] = Field(description='queue/decode/infer/postprocess/total')
    request_id: str


class ErrorResponse(BaseModel):
    error: str
    detail: Optional[str] = None


class ServiceError(Exception):
    """A request answered with ``status`` and ``{"error", "detail"}``; ``kind`` labels the
    error metric."""

    def __init__(self, status: int, error: str, detail: Optional[str] = None,
                 kind: str = 'other'):
        super().__init__(detail or error)
        self.status, self.error, self.detail, self.kind = status, error, detail, kind


def error_response(status: int, error: str, detail: Optional[str] = None) -> JSONResponse:
    return JSONResponse({'error': error, 'detail': detail}, status_code=status)


class ServiceState:
    """What the endpoints share: the detector (once loaded), the runner, metrics, pool."""

    def __init__(self, settings: ServiceSettings, detector=None,
                 verifier: Optional[Verifier] = None):
        self.settings = settings
        self.detector = detector
        self.verifier = verifier
        self.load_error: Optional[str] = None
        self.metrics = ServiceMetrics()
        self.runner: Optional[InferenceRunner] = None
        self.pool = (RetrainPool(settings.retrain_dir, settings.retrain_band,
                                 settings.retrain_max_files, settings.retrain_max_bytes)
                     if settings.retrain_dir else None)
        self.metrics.ready.set(detector is not None)

    @property
    def score_thr(self) -> float:
        s = self.settings.score_thr
        return float(self.detector.score_thr if s is None else s)

    def load(self, factory: Callable[[], object]) -> None:
        """Build the detector (in a background thread); failures are kept for ``/health``."""
        log = get_logger()
        start = time.perf_counter()
        try:
            detector = factory()
        except Exception as e:
            self.load_error = f'{type(e).__name__}: {e}'
            log.exception('model failed to load', extra={'fields': {'event': 'load_failed'}})
            return
        self.detector = detector
        self.metrics.ready.set(1)
        log.info('model loaded', extra={'fields': {
            'event': 'ready', 'seconds': round(time.perf_counter() - start, 2),
            **(getattr(detector, 'release_info', None) or {}),
            'backend': getattr(detector, 'backend', None),
            'input_size': list(detector.input_size), 'score_thr': self.score_thr}})


class BodyLimitMiddleware:
    """Refuse an upload over the limit before reading it whole (HTTP 413).

    A declared ``Content-Length`` over the limit is answered at once; a chunked body is
    counted as it arrives and refused when it passes the limit.
    """

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)
        declared = dict(scope['headers']).get(b'content-length')
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            detail = f'{int(declared)} bytes; the limit is {self.limit}'
            return await error_response(413, 'upload too large', detail)(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get('body', b''))
            if received > self.limit:
                # FastAPI lets an HTTPException raised while parsing the body through.
                raise StarletteHTTPException(413, f'more than {self.limit} bytes')
            return message

        await self.app(scope, limited_receive, send)


class HttpVersionMiddleware:
    """Answer 505 to request lines of an HTTP version other than 1.0 and 1.1, which the h11
    parser reads as if they were 1.1 (an ``HTTP/2.0`` line is not HTTP/2)."""

    SUPPORTED = ('1.0', '1.1')

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        version = scope.get('http_version', '1.1')
        if scope['type'] == 'http' and version not in self.SUPPORTED:
            detail = f'HTTP/{version}; this server speaks HTTP/1.0 and HTTP/1.1'
            response = error_response(505, 'HTTP version not supported', detail)
            return await response(scope, receive, send)
        await self.app(scope, receive, send)


def _record_error(state: ServiceState, kind: str) -> None:
    state.metrics.errors.labels(kind).inc()


def _process(state: ServiceState, data: bytes, deadline: Deadline, submitted: float):
    """The work of one image, run in an inference thread: decode, detect, post-process."""
    s, m = state.settings, state.metrics
    started = time.perf_counter()
    m.stage_seconds.labels('queue').observe(started - submitted)
    deadline.check('decoding')
    image = decode_image(data, s.max_pixels, s.max_side, s.max_jpeg_scans)
    decoded = time.perf_counter()
    m.stage_seconds.labels('decode').observe(decoded - started)
    deadline.check('inference')
    outcome = detect(state.detector, image, s, state.score_thr, state.verifier, deadline)
    inferred = time.perf_counter()
    m.stage_seconds.labels('infer').observe(inferred - decoded)
    h, w = image.shape[:2]
    boxes = to_int_boxes(outcome.detections, w, h)
    done = time.perf_counter()
    m.stage_seconds.labels('postprocess').observe(done - inferred)
    timing = {'queue': started - submitted, 'decode': decoded - started,
              'infer': inferred - decoded, 'postprocess': done - inferred}
    return image, outcome, boxes, {k: round(v * 1000, 2) for k, v in timing.items()}


def _save_uncertain(state: ServiceState, image, outcome, request_id: str) -> None:
    try:
        result = state.pool.offer(image, outcome.candidates, outcome.detections,
                                  {'request_id': request_id})
    except OSError:
        get_logger().exception('retrain pool write failed')
        result = 'error'
    state.metrics.retrain.labels(result).inc()


_ERROR_RESPONSES = {
    400: {'model': ErrorResponse, 'description': 'unreadable, truncated or empty image'},
    413: {'model': ErrorResponse, 'description': 'upload or image dimensions over the limits'},
    415: {'model': ErrorResponse, 'description': 'not JPEG, PNG, BMP, WEBP or HEIC (by content)'},
    422: {'model': ErrorResponse, 'description': 'missing or malformed `file` field, or a JPEG '
                                                 'of too many scans to decode in time'},
    500: {'model': ErrorResponse, 'description': 'the detector failed'},
    503: {'model': ErrorResponse, 'description': 'model not loaded yet, or overloaded'},
    504: {'model': ErrorResponse, 'description': 'not done within the per-image timeout'},
}


def create_app(detector=None, settings: Optional[ServiceSettings] = None, *,
               detector_factory: Optional[Callable[[], object]] = None,
               verifier: Optional[Verifier] = None) -> FastAPI:
    """Build the service.

    Args:
        detector: a ready detector object; or None with ``detector_factory``.
        settings: limits and options (defaults: :class:`ServiceSettings`).
        detector_factory: called once in a background thread at start-up; ``/health`` and
            ``/detect`` answer 503 until it returns.
        verifier: optional ``(image, Detections) -> Detections`` deciding for the boxes whose
            score lies in ``settings.verifier_band``.
    """
    if (detector is None) == (detector_factory is None):
        raise ValueError('pass exactly one of detector and detector_factory')
    settings = settings or ServiceSettings()
    state = ServiceState(settings, detector, verifier)
    log = get_logger()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.runner = InferenceRunner(settings.worker_threads, settings.queue_size,
                                       on_change=state.metrics.in_flight.set)
        if state.detector is None:
            threading.Thread(target=state.load, args=(detector_factory,), daemon=True,
                             name='model-load').start()
        yield
        state.runner.shutdown()

    app = FastAPI(title='T-Bank logo detector', version='1.0', lifespan=lifespan,
                  description='Detects the T-Bank logo; boxes in pixels of the uploaded image '
                              '(after its EXIF orientation is applied).')
    app.state.service = state
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_upload_bytes + MULTIPART_SLACK)
    app.add_middleware(HttpVersionMiddleware)  # added last: the outermost

    @app.middleware('http')
    async def request_context(request: Request, call_next):
        request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        request.state.request_id = request_id
        request.state.log_fields = {}
        start = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            request_id_var.reset(token)
        elapsed = time.perf_counter() - start
        response.headers[REQUEST_ID_HEADER] = request_id
        if request.url.path == '/detect':
            state.metrics.request_seconds.labels(str(response.status_code)).observe(elapsed)
        if request.url.path not in ('/metrics', '/health'):
            log.info('request', extra={'request_id': request_id, 'fields': dict(
                method=request.method, path=request.url.path, status=response.status_code,
                ms=round(elapsed * 1000, 2), **request.state.log_fields)})
        return response

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError):
        _record_error(state, exc.kind)
        request.state.log_fields.update(error=exc.error, detail=exc.detail)
        return error_response(exc.status, exc.error, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        _record_error(state, 'validation')
        detail = '; '.join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                           for e in exc.errors())
        return error_response(422, 'missing or invalid field', detail or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        kind = {413: 'too_large', 404: 'not_found', 405: 'method'}.get(exc.status_code, 'http')
        _record_error(state, kind)
        error = 'upload too large' if exc.status_code == 413 else str(exc.detail)
        detail = str(exc.detail) if exc.status_code == 413 else None
        return error_response(exc.status_code, error, detail)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        _record_error(state, 'internal')
        log.error('unhandled error', exc_info=exc)
        return error_response(500, 'internal error', request_id_var.get())

    @app.post('/detect', response_model=DetectResponse, responses=_ERROR_RESPONSES,
              summary='Detect T-Bank logos in one image')
    async def detect_endpoint(request: Request, file: UploadFile = File(
            ..., description='the image: JPEG, PNG, BMP, WEBP or HEIC (told by content)')):
        submitted = time.perf_counter()
        deadline = Deadline(settings.timeout_s)  # the upload is in: the image's clock starts
        if state.detector is None:
            raise ServiceError(503, 'model not ready', state.load_error or 'loading',
                               kind='not_ready')
        data = await file.read(settings.max_upload_bytes + 1)
        await file.close()
        if len(data) > settings.max_upload_bytes:
            raise ServiceError(413, 'upload too large',
                               f'the limit is {settings.max_upload_bytes} bytes', 'too_large')
        try:
            image, outcome, boxes, timing = await state.runner.run(
                lambda: _process(state, data, deadline, submitted), deadline.remaining())
        except Overloaded as e:
            raise ServiceError(503, 'overloaded', str(e), 'overloaded') from None
        except (TimedOut, Abandoned):
            state.metrics.timeouts.inc()
            log.warning('timeout', extra={'fields': {
                'event': 'timeout', 'timeout_s': settings.timeout_s, 'bytes': len(data),
                'ms': round((time.perf_counter() - submitted) * 1000, 2)}})
            raise ServiceError(504, 'timed out', f'not done within {settings.timeout_s:g} s',
                               'timeout') from None
        except ImageError as e:
            raise ServiceError(e.status, e.error, e.detail, f'image_{e.status}') from None
        except Exception:
            # The traceback goes to the log under the request id; library messages (OpenCV's
            # assertions, paths) never reach the client.
            log.exception('inference failed')
            raise ServiceError(500, 'inference failed', request_id_var.get(),
                               'inference') from None
        m = state.metrics
        m.detections.observe(len(boxes))
        for score in outcome.detections.scores.tolist():
            m.scores.observe(score)
        m.paths.labels(outcome.path).inc()
        h, w = image.shape[:2]
        timing['total'] = round((time.perf_counter() - submitted) * 1000, 2)
        request.state.log_fields.update(detections=len(boxes), inference_path=outcome.path,
                                        width=w, height=h, timing_ms=timing)
        background = None
        if state.pool is not None and state.pool.is_uncertain(outcome.candidates):
            background = BackgroundTask(_save_uncertain, state, image, outcome,
                                        request.state.request_id)
        body = {'detections': boxes, 'width': w, 'height': h, 'inference_path': outcome.path,
                'timing_ms': timing, 'request_id': request.state.request_id}
        return JSONResponse(body, background=background)

    @app.get('/health', responses={503: {'model': ErrorResponse,
                                         'description': 'model loading or failed to load'}},
             summary='Ready once the model is loaded')
    async def health():
        det = state.detector
        if det is None:
            detail = (f'model failed to load: {state.load_error}' if state.load_error
                      else 'model loading')
            return error_response(503, 'not ready', detail)
        info = getattr(det, 'release_info', None) or {}
        return {'status': 'ready', 'model': info.get('model'), 'release': info.get('release'),
                'backend': getattr(det, 'backend', None),
                'input_size': list(det.input_size), 'score_thr': state.score_thr,
                'in_flight': state.runner.in_flight if state.runner else 0,
                'capacity': settings.max_in_flight}

    @app.get('/metrics', include_in_schema=False)
    async def metrics():
        body, content_type = state.metrics.render()
        return Response(body, media_type=content_type)

    return app

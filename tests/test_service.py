"""The detection service, served for real by uvicorn on a loopback port, with a detector double.

:class:`BlobDetector` boxes the dark rectangle of the test images, so every check knows where
a correct service must answer: after decoding any image kind, EXIF rotation, tiling or
resizing. A slow double drives the timeout and overload paths.
"""
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
import uvicorn
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from mmdet_ext.inference.tiling import tile_grid
from projects.tbank_logo.service import ServiceSettings, create_app
from projects.tbank_logo.service import testing as T
from projects.tbank_logo.service.decode import (CorruptImage, ImageTooLarge,
                                                UnsupportedImageType, decode_image)
from projects.tbank_logo.service.http_server import uvicorn_config
from projects.tbank_logo.service.retrain_pool import RetrainPool

BOX = {'x_min': 20, 'y_min': 10, 'x_max': 50, 'y_max': 30}  # blob_image()'s rectangle
SMALL = dict(max_upload_bytes=256 * 1024, queue_size=4)


class LiveServer:
    """Runs an app with uvicorn in a thread on a free loopback port."""

    def __init__(self, app):
        self.app = app
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.url = 'http://127.0.0.1:%d' % self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn_config(app, lifespan='on'))
        self.thread = threading.Thread(target=self.server.run, kwargs={'sockets': [self.sock]},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, 'server did not start'
            time.sleep(0.01)
        self.client = httpx.Client(base_url=self.url, timeout=30)
        return self

    def __exit__(self, *exc):
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)

    def detect(self, data: bytes, name='img', field='file', **kwargs):
        return self.client.post('/detect', files={field: (name, data)}, **kwargs)

    def metrics(self):
        text = self.client.get('/metrics').text
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for fam in text_string_to_metric_families(text) for s in fam.samples}


def serve(detector=None, **settings):
    return LiveServer(create_app(detector or T.BlobDetector(),
                                 ServiceSettings(**{**SMALL, **settings})))


def assert_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {'error', 'detail'} and isinstance(body['error'], str)
    return body


@pytest.fixture(scope='module')
def live():
    with serve() as server:
        yield server


def test_detect_answers_the_contract_with_int_boxes_inside_the_image(live):
    r = live.detect(T.valid_uploads()['jpeg'], name='photo.jpg',
                    headers={'X-Request-ID': 'client-42'})
    assert r.status_code == 200
    assert r.headers['x-request-id'] == 'client-42'
    body = r.json()
    assert [d['bbox'] for d in body['detections']] == [BOX]
    bbox = body['detections'][0]['bbox']
    assert all(type(v) is int for v in bbox.values())
    assert 0 <= bbox['x_min'] <= bbox['x_max'] < body['width'] == 96
    assert 0 <= bbox['y_min'] <= bbox['y_max'] < body['height'] == 64
    assert body['detections'][0]['score'] == pytest.approx(0.9)
    assert body['inference_path'] == 'full' and body['request_id'] == 'client-42'
    assert {'decode', 'infer', 'postprocess', 'total'} <= set(body['timing_ms'])
    # a fresh id when the client sends none (or an unsafe one)
    r = live.detect(T.valid_uploads()['png'], headers={'X-Request-ID': 'bad id {}'})
    assert len(r.headers['x-request-id']) == 32 and r.json()['request_id'] != 'bad id {}'


def test_every_accepted_image_kind_is_decoded_to_the_same_box(live):
    wrong = {}
    for kind, data in T.valid_uploads().items():
        # the client's file name and content type are ignored: the bytes decide
        r = live.client.post('/detect', files={'file': ('x.gif', data, 'text/plain')})
        if r.status_code != 200 or [d['bbox'] for d in r.json()['detections']] != [BOX]:
            wrong[kind] = r.text
    assert not wrong


def test_heic_is_read_upright_and_avif_is_refused_by_name(live):
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise, as in the JPEG test below
    body = live.detect(T.heic(T.blob_image(), exif=exif.tobytes())).json()
    assert (body['width'], body['height']) == (64, 96)
    assert body['detections'][0]['bbox'] == {'x_min': 34, 'y_min': 20, 'x_max': 54,
                                             'y_max': 50}
    refused = assert_error(live.detect(T.other_formats()['avif']), 415)
    assert 'AVIF' in refused['detail'] and 'HEIC' in refused['detail']


def test_exif_orientation_is_applied_before_detection(live):
    body = live.detect(T.exif_rotated_jpeg(T.blob_image(), orientation=6)).json()
    # stored 96x64 with the box at x 20..50, y 10..30; shown rotated 90 degrees clockwise
    assert (body['width'], body['height']) == (64, 96)
    assert body['detections'][0]['bbox'] == {'x_min': 34, 'y_min': 20, 'x_max': 54,
                                             'y_max': 50}


def test_no_logo_answers_an_empty_list(live):
    blank = T.encode(T.blob_image(box=(0, 0, 0, 0)), 'PNG')
    assert live.detect(blank).json()['detections'] == []


@pytest.mark.parametrize('kind,make,status', [
    ('empty', lambda: b'', 400),
    ('truncated_jpeg', lambda: T.valid_uploads()['jpeg'][:300], 400),
    ('truncated_png', lambda: T.valid_uploads()['png'][:60], 400),
    ('truncated_webp', lambda: T.valid_uploads()['webp'][:40], 400),
    ('corrupt_bmp', lambda: b'BM' + b'\xff' * 60, 400),
    ('gif', lambda: T.other_formats()['gif'], 415),
    ('tiff', lambda: T.other_formats()['tiff'], 415),
    ('pdf', lambda: T.other_formats()['pdf'], 415),
    ('text', lambda: T.other_formats()['text'], 415),
    ('png_header_bomb', T.png_header_bomb, 413),
    ('jpeg_header_bomb', T.jpeg_header_bomb, 413),
    ('bmp_header_bomb', T.bmp_header_bomb, 413),
])
def test_bad_uploads_get_their_status_and_the_error_shape(live, kind, make, status):
    body = assert_error(live.detect(make()), status)
    assert body['detail']


def test_a_real_decompression_bomb_is_refused_before_decoding(live):
    bomb = T.png_bomb(7000)  # 49 Mpx of zeros in ~50 KB
    start = time.perf_counter()
    body = assert_error(live.detect(bomb), 413)
    assert time.perf_counter() - start < 1.0
    assert '7000x7000' in body['detail']


def test_missing_field_or_form_is_422(live):
    assert 'file' in assert_error(live.detect(b'x', field='image'), 422)['detail']
    assert_error(live.client.post('/detect', json={'file': 'abc'}), 422)
    assert_error(live.client.post('/detect', data={'file': 'not a file'}), 422)
    assert_error(live.client.get('/detect'), 405)
    assert_error(live.client.get('/nowhere'), 404)


def test_too_large_uploads_are_413_declared_or_chunked(live):
    big = b'\xff\xd8\xff' + bytes(300 * 1024)
    assert 'limit' in assert_error(live.detect(big), 413)['detail']

    def chunks():  # no Content-Length: counted as it arrives
        boundary = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        yield boundary
        for _ in range(40):
            yield bytes(16 * 1024)
        yield b'\r\n--b--\r\n'
    r = live.client.post('/detect', content=chunks(),
                         headers={'Content-Type': 'multipart/form-data; boundary=b'})
    assert_error(r, 413)


def raw_request(url: str, request: bytes):
    """Send ``request`` as it is on a fresh connection; ``(status, headers, body)``."""
    host, port = url.rsplit('/', 1)[-1].split(':')
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b''
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b'\r\n\r\n')
    status_line, *headers = head.decode('latin-1').split('\r\n')
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize('request_bytes,status', [
    (b'GET /health HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n', 505),
    (b'POST /detect HTTP/3.0\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
     505),
    (b'\x16\x03\x01 garbage\r\n\r\n', 400),  # e.g. TLS spoken to plain HTTP
    (b'GET /health HTTP/1.1\r\nHost x\r\n\r\n', 400),  # a header without its colon
    (b'POST /detect HTTP/1.1\r\nHost: x\r\nContent-Length: ab\r\n\r\n', 400),
    (b'POST /detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400),
])
def test_malformed_http_and_other_versions_get_the_json_error_shape(live, request_bytes, status):
    got, headers, body = raw_request(live.url, request_bytes)
    assert got == status, body
    assert 'content-type: application/json' in [h.lower() for h in headers]
    answer = json.loads(body)
    assert set(answer) == {'error', 'detail'} and answer['detail']
    assert live.client.get('/health').status_code == 200  # and the server goes on


def test_fuzzed_uploads_never_crash_the_service(live):
    bad = {}
    for case in T.malformed_uploads(n=72, seed=1):
        r = live.detect(case.data)
        ok_shape = r.status_code == 200 or set(r.json()) == {'error', 'detail'}
        if r.status_code not in case.expect or not ok_shape:
            bad[case.kind] = (r.status_code, r.text[:200])
    assert not bad
    assert live.client.get('/health').status_code == 200


def test_large_images_go_through_tiles_and_keep_tiny_logos():
    det = T.BlobDetector(input_size=(64, 64))
    img = T.encode(T.blob_image(size=(600, 400), box=(500, 300, 512, 312)), 'PNG')
    with serve(det, tile_max_side=600) as s:
        body = s.detect(img).json()
    assert body['inference_path'] == 'tiled'
    assert [d['bbox'] for d in body['detections']] == [
        {'x_min': 500, 'y_min': 300, 'x_max': 512, 'y_max': 312}]
    assert (64, 64) in det.images_seen  # tiles of the network input size
    assert len(det.images_seen) == len(tile_grid(600, 400, 64, 0.25)) + 1  # + the full pass
    det.images_seen.clear()
    with serve(det) as s:  # by default tiled at most at 4x the input side: 256x171 here
        assert s.detect(img).json()['inference_path'] == 'tiled'
    assert len(det.images_seen) == len(tile_grid(256, 171, 64, 0.25)) + 1


def test_tiles_smaller_than_the_network_input_set_the_tiling_defaults():
    """``tile_size`` below the input side: tiles of that size (each enlarged by the detector's
    letterbox), tiling above 2x it, shrinking to 4x it; a logo is still found where it is."""
    det = T.BlobDetector(input_size=(64, 64))
    img = T.encode(T.blob_image(size=(600, 400), box=(500, 300, 512, 312)), 'PNG')
    with serve(det, tile_size=48, tile_max_side=600) as s:
        body = s.detect(img).json()
    assert body['inference_path'] == 'tiled'
    assert [d['bbox'] for d in body['detections']] == [
        {'x_min': 500, 'y_min': 300, 'x_max': 512, 'y_max': 312}]
    assert (48, 48) in det.images_seen and (64, 64) not in det.images_seen
    assert len(det.images_seen) == len(tile_grid(600, 400, 48, 0.25)) + 1
    det.images_seen.clear()
    with serve(det, tile_size=48) as s:  # shrunk to 4x the tile: 192x128
        assert s.detect(img).json()['inference_path'] == 'tiled'
        assert s.detect(T.encode(T.blob_image(size=(96, 64), box=(10, 10, 30, 30)), 'PNG')
                        ).json()['inference_path'] == 'full'  # not above 2x the tile
    # + the untiled image's three views (as it is, 2x wide, 2x tall: the default stretch)
    assert len(det.images_seen) == len(tile_grid(192, 128, 48, 0.25)) + 1 + 3
    det.images_seen.clear()
    det.tile_size = 48  # the detector's own tile size (Detector.tile_size) is the default
    with serve(det, tile_max_side=600) as s:
        assert s.detect(img).json()['inference_path'] == 'tiled'
    assert (48, 48) in det.images_seen and (64, 64) not in det.images_seen
    with pytest.raises(ValueError, match='tile_size'):
        ServiceSettings(tile_size=0)


def test_stretch_finds_a_logo_squashed_with_its_photo_in_untiled_images():
    """``stretch``: an untiled (here also downscaled) image is detected as it is and stretched
    wide and tall; a 2:1 blob that a detector of undistorted shapes misses is answered in the
    photo's pixels. Tiled images keep their path."""
    det = T.BlobDetector(input_size=(64, 64), max_aspect=1.3)
    img = T.encode(T.blob_image(size=(120, 80), box=(30, 20, 70, 40)), 'PNG')
    with serve(det, stretch=None) as s:  # one pass
        assert s.detect(img).json()['detections'] == []
    with serve(det, resize_max_side=60) as s:  # the default: stretched 2x
        body = s.detect(img).json()
        big = T.encode(T.blob_image(size=(600, 400), box=(500, 300, 512, 312)), 'PNG')
        assert s.detect(big).json()['inference_path'] == 'tiled'
    assert body['inference_path'] == 'resized'
    assert [d['bbox'] for d in body['detections']] == [
        {'x_min': 30, 'y_min': 20, 'x_max': 70, 'y_max': 40}]
    with pytest.raises(ValueError, match='stretch'):
        ServiceSettings(stretch=0.5)


def test_an_ensemble_runs_each_member_on_its_own_tiles_and_answers_the_fused_score():
    """Two members, one with its own smaller tile size: each sees its own tiles of a large
    photo, and the answer is the logo once, scored the mean of the two members' scores."""
    from mmdet_ext.inference import Ensemble
    first, second = T.BlobDetector(score=0.9), T.BlobDetector(score=0.5)
    second.tile_size = 48
    ensemble = Ensemble([first, second], score_thr=0.6)
    img = T.encode(T.blob_image(size=(600, 400), box=(500, 300, 512, 312)), 'PNG')
    with serve(ensemble, tile_max_side=600) as s:
        body = s.detect(img).json()
    assert body['inference_path'] == 'tiled'
    assert [(d['bbox'], d['score']) for d in body['detections']] == [
        ({'x_min': 500, 'y_min': 300, 'x_max': 512, 'y_max': 312}, pytest.approx(0.7))]
    assert (64, 64) in first.images_seen and (48, 48) not in first.images_seen
    assert (48, 48) in second.images_seen and (64, 64) not in second.images_seen
    assert ensemble.backend == 'fake+fake'
    one_pass = ensemble.predict(np.array(T.blob_image(box=(20, 10, 50, 30)))[..., ::-1])
    assert one_pass.boxes.tolist() == [[20, 10, 50, 30]] and one_pass.scores == pytest.approx(0.7)
    with serve(Ensemble([first, T.BlobDetector(score=0.2)], score_thr=0.6)) as s:
        assert s.detect(img).json()['detections'] == []  # (0.9 + 0.2) / 2 < 0.6
    with pytest.raises(ValueError, match='two or more members'):
        Ensemble([first], score_thr=0.5)


def test_untiled_images_are_downscaled_to_the_max_side_and_boxes_scaled_back():
    det = T.BlobDetector()
    with serve(det, tile_min_side=0, resize_max_side=100, stretch=None) as s:
        img = T.blob_image(size=(400, 200), box=(100, 50, 200, 150))
        body = s.detect(T.encode(img, 'PNG')).json()
    assert body['inference_path'] == 'resized' and det.images_seen == [(50, 100)]
    got = body['detections'][0]['bbox']
    assert np.allclose([got['x_min'], got['y_min'], got['x_max'], got['y_max']],
                       [100, 50, 200, 150], atol=4)


def test_verifier_decides_for_boxes_in_its_band():
    calls = []

    def reject(image, dets):
        calls.append((image.shape, len(dets)))
        return dets.above(2.0)  # rejects everything it is shown

    img = T.valid_uploads()['png']
    with LiveServer(create_app(T.BlobDetector(score=0.9), ServiceSettings(
            verifier_band=(0.5, 0.95)), verifier=reject)) as s:
        assert s.detect(img).json()['detections'] == []
    assert calls == [((64, 96, 3), 1)]
    with LiveServer(create_app(T.BlobDetector(score=0.97), ServiceSettings(
            verifier_band=(0.5, 0.95)), verifier=reject)) as s:
        assert len(s.detect(img).json()['detections']) == 1  # above the band: not asked


def test_timeout_answers_504_logs_it_and_drops_the_late_result(caplog):
    slow = T.BlobDetector(latency_s=1.0)  # one pass (no stretched views): 1 s a request
    with serve(slow, timeout_s=0.25, worker_threads=1, queue_size=0, stretch=None) as s:
        start = time.perf_counter()
        body = assert_error(s.detect(T.valid_uploads()['png']), 504)
        assert time.perf_counter() - start < 0.9
        assert '0.25' in body['detail']
        # the abandoned call still holds the only slot: refused, not piled up
        assert_error(s.detect(T.valid_uploads()['png']), 503)
        assert s.metrics()[('tbank_in_flight', ())] == 1
        time.sleep(1.0)  # the late call ends; its result is dropped and the slot freed
        # the gauge follows the abandoned work's end, as /health does
        assert s.metrics()[('tbank_in_flight', ())] == 0
        assert s.client.get('/health').json()['in_flight'] == 0
        s.app.state.service.settings.timeout_s = 5  # now the slow call fits
        assert s.detect(T.valid_uploads()['png']).status_code == 200
        assert s.metrics()[('tbank_timeouts_total', ())] == 1
    timeouts = [r for r in caplog.records if r.getMessage() == 'timeout']
    assert len(timeouts) == 1 and timeouts[0].levelname == 'WARNING'


def test_slow_to_decode_jpegs_are_refused_before_they_starve_valid_requests():
    slow = T.many_scans_jpeg((3000, 3000), scans=4000)  # 0.6 MB, seconds to decode
    valid = T.valid_uploads()['jpeg']
    limits = dict(timeout_s=0.5, worker_threads=1, queue_size=8, max_upload_bytes=2 ** 20)
    with serve(max_jpeg_scans=10 ** 6, **limits) as s:  # unbounded: it holds the worker
        assert_error(s.detect(slow), 504)
    with serve(**limits) as s:
        def post(data):
            with httpx.Client(base_url=s.url, timeout=30) as c:
                return c.post('/detect', files={'file': ('a', data)})

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(post, [slow, valid] * 3))
        for refused in answers[::2]:
            body = assert_error(refused, 422)
            assert body['detail'] == 'a JPEG of 4000 scans; the limit is 100'
        assert [r.status_code for r in answers[1::2]] == [200] * 3


def test_a_full_queue_answers_503_at_once():
    slow = T.BlobDetector(latency_s=0.5)
    with serve(slow, timeout_s=10, worker_threads=1, queue_size=1) as s:
        data = T.valid_uploads()['png']

        def post(_):
            with httpx.Client(base_url=s.url, timeout=30) as c:
                t = time.perf_counter()
                r = c.post('/detect', files={'file': ('a', data)})
                return r.status_code, time.perf_counter() - t

        with ThreadPoolExecutor(5) as pool:
            results = list(pool.map(post, range(5)))
    statuses = sorted(code for code, _ in results)
    assert statuses.count(200) == 2 and statuses.count(503) == 3, results
    assert all(t < 0.4 for code, t in results if code == 503)


def test_health_is_503_until_the_model_has_loaded():
    gate = threading.Event()

    def load():
        gate.wait(10)
        return T.BlobDetector()
    with LiveServer(create_app(detector_factory=load, settings=ServiceSettings())) as s:
        assert assert_error(s.client.get('/health'), 503)['detail'] == 'model loading'
        assert_error(s.detect(T.valid_uploads()['png']), 503)
        assert s.metrics()[('tbank_model_ready', ())] == 0
        gate.set()
        for _ in range(200):
            r = s.client.get('/health')
            if r.status_code == 200:
                break
            time.sleep(0.01)
        assert r.json()['status'] == 'ready' and r.json()['input_size'] == [64, 64]
        assert s.detect(T.valid_uploads()['png']).status_code == 200


def test_health_reports_a_model_that_failed_to_load():
    def load():
        raise FileNotFoundError('no such model')
    with LiveServer(create_app(detector_factory=load, settings=ServiceSettings())) as s:
        time.sleep(0.2)
        assert 'no such model' in assert_error(s.client.get('/health'), 503)['detail']


def test_metrics_count_requests_stages_detections_scores_and_errors():
    with serve() as s:
        for _ in range(3):
            s.detect(T.valid_uploads()['jpeg'])
        s.detect(T.other_formats()['gif'])
        s.detect(b'')
        m = s.metrics()
    assert m[('tbank_request_seconds_count', (('status', '200'),))] == 3
    assert m[('tbank_request_seconds_count', (('status', '415'),))] == 1
    for stage in ('queue', 'decode', 'infer', 'postprocess'):
        assert m[('tbank_stage_seconds_count', (('stage', stage),))] >= 3
    assert m[('tbank_detections_per_image_count', ())] == 3
    assert m[('tbank_detections_per_image_sum', ())] == 3
    assert m[('tbank_detection_score_bucket', (('le', '0.85'),))] == 0
    assert m[('tbank_detection_score_bucket', (('le', '0.9'),))] == 3
    assert m[('tbank_errors_total', (('kind', 'image_415'),))] == 1
    assert m[('tbank_errors_total', (('kind', 'image_400'),))] == 1
    assert m[('tbank_inference_path_total', (('path', 'full'),))] == 3
    assert m[('tbank_model_ready', ())] == 1
    assert m[('process_resident_memory_bytes', ())] > 0


def test_retrain_pool_keeps_uncertain_images_up_to_its_cap(tmp_path):
    pool_dir = tmp_path / 'pool'
    det = T.BlobDetector(score=0.4, score_thr=0.3)
    with serve(det, retrain_dir=str(pool_dir), retrain_band=(0.2, 0.6),
               retrain_max_files=2) as s:
        for _ in range(3):
            assert s.detect(T.valid_uploads()['jpeg']).status_code == 200
        s.detect(T.encode(T.blob_image(box=(0, 0, 0, 0)), 'PNG'))  # nothing found: certain
        for _ in range(100):
            m = s.metrics()
            if m.get(('tbank_retrain_images_total', (('outcome', 'full'),))) == 1:
                break
            time.sleep(0.02)
    assert m[('tbank_retrain_images_total', (('outcome', 'saved'),))] == 2
    assert ('tbank_retrain_images_total', (('outcome', 'certain'),)) not in m  # not offered
    assert len(list(pool_dir.glob('*.jpg'))) == 2
    record = json.loads(next(pool_dir.glob('*.json')).read_text())
    assert record['width'] == 96 and record['candidates'][0]['score'] == pytest.approx(0.4)
    assert record['candidates'][0]['bbox'] == [20, 10, 50, 30]
    assert (pool_dir / record['file_name']).exists() and record['request_id']


def test_retrain_pool_respects_the_byte_cap_and_survives_restarts(tmp_path):
    img = np.full((32, 32, 3), 128, np.uint8)
    cand = T.BlobDetector(score=0.3).predict_raw(np.zeros((8, 8, 3), np.uint8))
    pool = RetrainPool(str(tmp_path), band=(0.2, 0.6), max_bytes=2500)
    outcomes = [pool.offer(img, cand, cand) for _ in range(5)]
    assert outcomes[0] == 'saved' and outcomes[-1] == 'full'
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 2500
    again = RetrainPool(str(tmp_path), band=(0.2, 0.6), max_bytes=2500)
    assert again.files == outcomes.count('saved') and again.offer(img, cand, cand) == 'full'
    assert pool.offer(img, cand.above(0.5), cand) == 'certain'


def test_decoder_modes_and_limits():
    assert decode_image(T.png_16bit(value=32768)).mean() == pytest.approx(128, abs=1)
    rgba = np.zeros((4, 4, 4), np.uint8)  # fully transparent black: white after compositing
    from PIL import Image
    assert decode_image(T.encode(Image.fromarray(rgba), 'PNG')).min() == 255
    cmyk = decode_image(T.encode(Image.new('RGB', (8, 8), (200, 30, 30)).convert('CMYK'),
                                 'JPEG', quality=100))
    assert np.allclose(cmyk[4, 4], (30, 30, 200), atol=12)  # BGR
    with pytest.raises(ImageTooLarge):
        decode_image(T.encode(T.blob_image(size=(300, 10)), 'PNG'), max_side=299)
    with pytest.raises(UnsupportedImageType, match='GIF'):
        decode_image(T.other_formats()['gif'])
    with pytest.raises(CorruptImage):
        decode_image(T.valid_uploads()['webp_lossy'][:-20])


def test_serve_cli_maps_its_options_and_refuses_a_missing_model(capsys):
    from tools.serve import build_settings, main, parse_args
    args = parse_args(['--model', 'fake', '--timeout', '3', '--queue', '2',
                       '--max-upload-mb', '1', '--retrain-dir', 'x', '--tile-min-side', '0'])
    s = build_settings(args)
    assert (s.timeout_s, s.queue_size, s.max_upload_bytes, s.retrain_dir, s.tile_min_side) == (
        3, 2, 1024 ** 2, 'x', 0)
    assert s.stretch == 2  # the service's default: stretched views, unless asked otherwise
    assert build_settings(parse_args(['--model', 'fake', '--no-stretch'])).stretch is None
    assert build_settings(parse_args(['--model', 'fake', '--stretch', '3'])).stretch == 3
    ensemble = ['--model', 'a.onnx', '--model', 'b.onnx', '--score-thr', '0.4']
    assert build_settings(parse_args(ensemble)).stretch is None  # as its threshold was calibrated
    assert build_settings(parse_args([*ensemble, '--stretch', '2'])).stretch == 2
    assert main(['--model', 'missing.onnx']) == 1
    assert 'not found' in capsys.readouterr().err
    assert main(['--model', 'fake', '--stretch', '1']) == 1
    assert 'stretch must be above 1' in capsys.readouterr().err


def test_serve_cli_ensemble_needs_a_fused_threshold_and_one_config_per_model(tmp_path, capsys):
    from tools.serve import main
    a, b = tmp_path / 'a.onnx', tmp_path / 'b.pth'
    a.write_bytes(b'x')
    b.write_bytes(b'x')
    assert main(['--model', str(a), '--model', str(a)]) == 1
    assert 'needs --score-thr' in capsys.readouterr().err
    assert main(['--model', str(a), '--model', str(b), '--score-thr', '0.4']) == 1
    assert f'{b} needs its --config' in capsys.readouterr().err
    assert main(['--model', str(a), '--model', str(b), '--config', 'c.py',
                 '--score-thr', '0.4']) == 1
    assert '1 --config for 2 --model' in capsys.readouterr().err
    assert main(['--model', str(a), '--model', 'fake', '--score-thr', '0.4']) == 1
    assert 'not found: fake' in capsys.readouterr().err


def test_load_and_fuzz_drivers_report_on_a_live_service(live, tmp_path):
    from mmdet_ext.environment import machine
    from projects.tbank_logo.service import bench
    payloads = [T.valid_uploads()['jpeg'], T.valid_uploads()['png']]
    load = bench.run_load(live.url, payloads, concurrency=2, max_requests=20, max_seconds=30,
                          warmup=2, rss_every_s=0.05)
    assert load['requests'] == 20 and load['statuses'] == {'200': 20}
    assert 0 < load['latency_ok']['p50_ms'] <= load['latency_ok']['p99_ms']
    assert load['rss_mb']['before'] > 0 and load['rss_mb']['growth'] is not None
    curve = load['rss_curve']  # [seconds, requests answered, MB], in time order
    assert curve[0][:2] == [0.0, 0] and all(a[0] <= b[0] and a[1] <= b[1]
                                            for a, b in zip(curve, curve[1:]))
    bench.write_report(load, str(tmp_path / 'load'), 'Load', 'python tools/load_test.py X')
    written = json.loads((tmp_path / 'load.json').read_text())
    assert written['command'] == 'python tools/load_test.py X' and written['requests'] == 20
    assert written['machine']['cpu'] == machine()  # the CPU model: machines differ up to 3x
    assert written['rss_curve'] == curve and machine() in (tmp_path / 'load.md').read_text()
    assert 'rss_curve' not in (tmp_path / 'load.md').read_text()  # in the JSON only
    report = bench.fuzz(live.url, T.malformed_uploads(n=18, seed=2), 256 * 1024,
                        request_repeats=1)
    assert report['unexpected'] == 0, report['failures']
    assert report['uploads'] == 18 + len(bench.request_cases(1)) and report['health_after'] == 200
    assert report['by_kind']['oversize_upload'] == {'413': 1}
    assert report['by_kind']['wrong_field_name'] == {'422': 1}


class FailingDetector(T.BlobDetector):
    def predict_raw(self, image):
        raise RuntimeError('cv2.error /io/opencv/resize.cpp:4017 inv_scale_x > 0')


def test_a_failing_model_answers_500_with_the_request_id_not_its_message():
    with serve(FailingDetector()) as server:
        r = server.detect(T.valid_uploads()['png'], headers={'X-Request-ID': 'req-7'})
    body = assert_error(r, 500)
    assert body == {'error': 'inference failed', 'detail': 'req-7'}
    assert 'opencv' not in r.text.lower()


def test_large_buffers_are_given_back_to_the_system_on_glibc():
    import platform

    from projects.tbank_logo.service.memory import release_large_buffers
    if platform.libc_ver()[0] != 'glibc':
        pytest.skip('mallopt thresholds are glibc-only')
    assert release_large_buffers()  # glibc accepted both thresholds

"""Drive a running service: concurrent load, malformed uploads, server memory, reports.

Used by ``tools/load_test.py`` and ``tools/fuzz_service.py``. Clients are threads with one
keep-alive ``http.client`` connection each (stdlib only, so little client overhead on a
loaded machine); the server's memory is read from its own ``/metrics``
(``process_resident_memory_bytes``), or from ``/proc/PID`` when a pid is given.
"""
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from mmdet_ext.environment import machine as cpu

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def spawn_server(serve_args: Sequence[str], port: int, log_path: Optional[str] = None,
                 ready_timeout: float = 300, python: str = sys.executable) -> subprocess.Popen:
    """Start ``tools/serve.py ARGS --port PORT`` with ``python`` (e.g. a slim install's) and
    wait until ``/health`` is 200."""
    log = open(log_path, 'w') if log_path else subprocess.DEVNULL
    proc = subprocess.Popen([python, os.path.join(REPO, 'tools', 'serve.py'),
                             *serve_args, '--port', str(port)], stdout=log, stderr=log,
                            cwd=REPO)
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'the server exited with {proc.returncode} (log: {log_path})')
        try:
            with urllib.request.urlopen(url + '/health', timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise TimeoutError(f'the server was not ready within {ready_timeout} s')


def add_target_args(parser) -> None:
    """``--url`` of a running service, or ``--model`` (+ ``--config``, ``--serve-args``) to
    start one."""
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument('--url', help='a running service, e.g. http://127.0.0.1:8000')
    where.add_argument('--model', help='start tools/serve.py with this model ("fake": none)')
    parser.add_argument('--config', help='model config (for a .pth checkpoint)')
    parser.add_argument('--serve-args', default='', help='more tools/serve.py options, quoted')


def start_target(args, pid: Optional[int] = None):
    """``(process or None, url, server pid)`` for :func:`add_target_args`' arguments; a started
    server logs to ``<args.out>_server.log``."""
    if not args.model:
        return None, args.url, pid
    serve_args = ['--model', args.model] + (['--config', args.config] if args.config
                                            else []) + args.serve_args.split()
    log = (args.out + '_server.log') if args.out else os.devnull
    port = free_port()
    proc = spawn_server(serve_args, port, log_path=log)
    return proc, f'http://127.0.0.1:{port}', proc.pid


def multipart(data: bytes, field: str = 'file', filename: str = 'image') -> tuple:
    """``(body, content_type)`` of a multipart form with one file."""
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode() + data + f'\r\n--{boundary}--\r\n'.encode()
    return body, f'multipart/form-data; boundary={boundary}'


class Client:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self, url: str, timeout: float = 60):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.conn = None

    def request(self, method: str, path: str, body: bytes = b'',
                headers: Optional[dict] = None):
        """``(status, body bytes)``; raises OSError/HTTPException on a broken connection."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.getheader('connection', '').lower() == 'close':
                    self.close()
                return resp.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a stale keep-alive connection: retry once on a new one
                if attempt:
                    raise

    def post_file(self, data: bytes, field: str = 'file'):
        body, ctype = multipart(data, field)
        return self.request('POST', '/detect', body, {'Content-Type': ctype})

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def server_rss(url: str, pid: Optional[int] = None) -> Optional[int]:
    """Resident memory (bytes) of the served process."""
    if pid:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) * 1024
    try:
        with urllib.request.urlopen(url + '/metrics', timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith('process_resident_memory_bytes '):
                    return int(float(line.split()[1]))
    except OSError:
        return None
    return None


def percentiles(values: Iterable[float]) -> Dict[str, float]:
    v = np.asarray(list(values), np.float64) * 1000
    if not len(v):
        return {}
    return {'p50_ms': round(float(np.percentile(v, 50)), 1),
            'p90_ms': round(float(np.percentile(v, 90)), 1),
            'p99_ms': round(float(np.percentile(v, 99)), 1),
            'max_ms': round(float(v.max()), 1), 'mean_ms': round(float(v.mean()), 1)}


def run_load(url: str, payloads: List[bytes], concurrency: int = 4, max_requests: int = 500,
             max_seconds: float = 120, warmup: int = 0, pid: Optional[int] = None,
             rss_every_s: float = 2.0) -> dict:
    """Send up to ``max_requests`` uploads (cycling ``payloads``) from ``concurrency``
    clients for at most ``max_seconds``; latency, throughput, statuses and server memory."""
    warm = Client(url)
    for i in range(warmup):
        warm.post_file(payloads[i % len(payloads)])
    warm.close()
    rss = [server_rss(url, pid)]
    curve = [(0.0, 0, rss[0])]  # (seconds, requests answered, RSS)
    lock, issued, results, failures = threading.Lock(), [0], [], Counter()
    stop = threading.Event()
    start = time.perf_counter()

    def worker():
        client = Client(url)
        while not stop.is_set() and time.perf_counter() - start < max_seconds:
            with lock:
                if issued[0] >= max_requests:
                    break
                i = issued[0]
                issued[0] += 1
            t = time.perf_counter()
            try:
                status, _ = client.post_file(payloads[i % len(payloads)])
            except (OSError, http.client.HTTPException) as e:
                failures[type(e).__name__] += 1
                client.close()
                continue
            with lock:
                results.append((status, time.perf_counter() - t))
        client.close()

    def sample_rss():
        while not stop.wait(rss_every_s):
            rss.append(server_rss(url, pid))
            curve.append((time.perf_counter() - start, len(results), rss[-1]))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    rss.append(server_rss(url, pid))
    curve.append((elapsed, len(results), rss[-1]))
    ok = [lat for status, lat in results if status == 200]
    mb = [round(r / 2 ** 20, 1) for r in rss if r]
    return {
        'concurrency': concurrency, 'requests': len(results), 'seconds': round(elapsed, 2),
        'req_per_s': round(len(results) / elapsed, 2) if elapsed else 0.0,
        'statuses': dict(sorted(Counter(str(s) for s, _ in results).items())),
        'connection_errors': dict(failures),
        'latency_ok': percentiles(ok), 'latency_all': percentiles(l for _, l in results),
        'rss_mb': {'before': mb[0] if mb else None, 'after': mb[-1] if mb else None,
                   'max': max(mb) if mb else None,
                   'growth': round(mb[-1] - mb[0], 1) if len(mb) > 1 else None},
        'rss_curve': [[round(t, 1), n, round(r / 2 ** 20, 1)] for t, n, r in curve if r],
    }


def machine() -> dict:
    """The client machine (here also the server's): the CPU model matters, since the 2-core
    machines differ up to 3x in speed."""
    return {'cpu': cpu(), 'cpus': os.cpu_count(), 'platform': platform.platform(),
            'python': platform.python_version(),
            'date': time.strftime('%Y-%m-%d %H:%M:%S %Z')}


def write_report(result: dict, out_prefix: str, title: str, command: str,
                 json_only: Sequence[str] = ('rss_curve',)) -> None:
    """``OUT.json`` (everything) and ``OUT.md`` (a readable summary with the command, without
    the ``json_only`` keys)."""
    os.makedirs(os.path.dirname(out_prefix) or '.', exist_ok=True)
    result = dict(result, command=command, machine=machine())
    with open(out_prefix + '.json', 'w') as f:
        json.dump(result, f, indent=2)
    lines = [f'# {title}', '', f'Command: `{command}`', '',
             f"Machine: {result['machine']['cpu']}, {result['machine']['platform']}, "
             f"Python {result['machine']['python']}, {result['machine']['date']}", '',
             '| what | value |', '|---|---|']
    long = {}
    for key, value in result.items():
        if key in ('command', 'machine', *json_only):
            continue
        text = json.dumps(value)
        if len(text) > 200 or '\n' in str(value):
            long[key] = value
        else:
            lines.append(f'| {key} | `{text}` |')
    for key, value in long.items():
        lines += ['', f'## {key}', '', '```', value if isinstance(value, str)
                  else json.dumps(value, indent=1), '```']
    with open(out_prefix + '.md', 'w') as f:
        f.write('\n'.join(lines) + '\n')


def _error_shape_ok(status: int, body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    if status == 200:
        return isinstance(doc.get('detections'), list)
    return (isinstance(doc, dict) and set(doc) == {'error', 'detail'}
            and isinstance(doc['error'], str))


def request_cases(max_upload_bytes: int) -> List[tuple]:
    """``(kind, method, body, headers, allowed statuses)`` for malformed *requests*."""
    valid = b'\xff\xd8\xff' + bytes(64)
    body, ctype = multipart(valid, field='image')
    two, _ = multipart(valid)
    boundary = ctype.split('=')[1]
    oversize, octype = multipart(b'\xff\xd8\xff' + bytes(max_upload_bytes + 1024))
    return [
        ('wrong_field_name', 'POST', body, {'Content-Type': ctype}, {422}),
        ('no_body', 'POST', b'', {}, {422}),
        ('json_body', 'POST', b'{"file": "x"}', {'Content-Type': 'application/json'}, {422}),
        ('text_field', 'POST', (f'--{boundary}\r\nContent-Disposition: form-data; '
                                f'name="file"\r\n\r\nhello\r\n--{boundary}--\r\n').encode(),
         {'Content-Type': ctype}, {422}),
        ('broken_multipart', 'POST', b'--x\r\ngarbage', {'Content-Type': ctype}, {400, 422}),
        ('no_boundary', 'POST', two, {'Content-Type': 'multipart/form-data'}, {400, 422}),
        ('oversize_upload', 'POST', oversize, {'Content-Type': octype}, {413}),
        ('wrong_method', 'GET', b'', {}, {405}),
    ]


def fuzz(url: str, cases: Iterable, max_upload_bytes: int = 20 * 1024 ** 2,
         request_repeats: int = 3) -> dict:
    """Send every malformed upload (:func:`testing.malformed_uploads`) and malformed request;
    count answers by kind and status and list each unexpected one. A 5xx other than 503/504,
    a broken connection, or a body not in the contract's shape is a failure."""
    client = Client(url)
    by_kind: Dict[str, Counter] = {}
    failures = []
    items = [(c.kind, 'POST', c.data, None, c.expect) for c in cases]
    items += request_cases(max_upload_bytes) * request_repeats
    start = time.perf_counter()
    for kind, method, data, headers, expect in items:
        try:
            if headers is None:
                status, body = client.post_file(data)
            else:
                status, body = client.request(method, '/detect', data, headers)
        except (OSError, http.client.HTTPException) as e:
            client.close()
            by_kind.setdefault(kind, Counter())['connection_error'] += 1
            failures.append({'kind': kind, 'error': f'{type(e).__name__}: {e}'})
            continue
        by_kind.setdefault(kind, Counter())[str(status)] += 1
        server_error = status >= 500 and status not in (503, 504)
        if status not in expect or server_error or not _error_shape_ok(status, body):
            failures.append({'kind': kind, 'status': status, 'expected': sorted(expect),
                             'body': body[:300].decode(errors='replace')})
    elapsed = time.perf_counter() - start
    status_total = Counter()
    for counts in by_kind.values():
        status_total.update(counts)
    try:
        health, _ = client.request('GET', '/health')
    except (OSError, http.client.HTTPException):
        health = None
    client.close()
    return {'uploads': len(items), 'seconds': round(elapsed, 1),
            'statuses': dict(sorted(status_total.items())),
            'server_errors_other_than_503_504': sum(
                n for s, n in status_total.items() if s.isdigit() and int(s) >= 500
                and s not in ('503', '504')),
            'unexpected': len(failures), 'failures': failures[:50],
            'health_after': health,
            'by_kind': {k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())}}


def run_schemathesis(url: str, max_examples: int = 50, seed: int = 0,
                     timeout: float = 600) -> dict:
    """Schemathesis against ``/openapi.json``: every documented operation, positive and
    negative data; checks: no 5xx, documented statuses, content types and response schemas.
    """
    exe = os.path.join(os.path.dirname(sys.executable), 'schemathesis')
    if not os.path.exists(exe):
        return {'skipped': 'schemathesis is not installed (requirements/tests.txt)'}
    cmd = [exe, 'run', url + '/openapi.json', '--checks',
           'not_a_server_error,status_code_conformance,content_type_conformance,'
           'response_schema_conformance', '--max-examples', str(max_examples), '--seed',
           str(seed), '--no-color', '--workers', '1', '--generation-database', 'none',
           '--request-timeout', '30']
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as cwd:  # it keeps a cache in ./.schemathesis
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  cwd=cwd)
    except subprocess.TimeoutExpired:
        return {'command': ' '.join(cmd[1:]), 'error': f'timed out after {timeout} s'}
    out = proc.stdout + proc.stderr
    return {'command': 'schemathesis ' + ' '.join(cmd[1:]), 'exit_code': proc.returncode,
            'seconds': round(time.perf_counter() - start, 1),
            'summary': '\n'.join(out.strip().splitlines()[-25:])}

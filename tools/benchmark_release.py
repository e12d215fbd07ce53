"""How long a new user waits for the release's first answers: ``python tools/benchmark_release.py
PHOTO [PHOTO ...] [--out benchmarks/release_first_answer]``.

Times, each in a fresh process as a user would start it: ``tools/predict.py PHOTO`` (imports,
loading the release with its sha256 checks, one photo; run ``--runs`` times), and ``make serve``
until its first ``POST /detect`` answer with a 200 (polled every 0.1 s from the moment the
command starts; the server is stopped after). Writes ``OUT.json`` and ``OUT.md`` with the command,
the machine and the date.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)  # run from a clone


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('photos', nargs='+', help='photos to predict (the first is also uploaded)')
    p.add_argument('--runs', type=int, default=3, help='runs of each command')
    p.add_argument('--port', type=int, default=8765, help='loopback port for make serve')
    p.add_argument('--timeout', type=float, default=120.0, help='give up on the server after')
    p.add_argument('--out', default='benchmarks/release_first_answer')
    return p.parse_args(argv)


def time_predict(photo: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, 'tools/predict.py', photo, '--out', out]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f'{shlex.join(cmd)} failed:\n{done.stderr}')
    return dict(seconds=round(seconds, 2), summary=done.stderr.strip().splitlines()[-1])


def time_serve(photo: str, port: int, timeout: float) -> dict:
    import httpx
    cmd = ['make', '-s', 'serve', f'PORT={port}']
    with open(photo, 'rb') as f:
        data = f.read()
    start = time.perf_counter()
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.perf_counter() - start < timeout:
            try:
                r = httpx.post(f'http://127.0.0.1:{port}/detect', files={'file': data},
                               timeout=30)
                if r.status_code == 200:
                    seconds = time.perf_counter() - start
                    health = httpx.get(f'http://127.0.0.1:{port}/health').json()
                    return dict(seconds=round(seconds, 2), detections=len(r.json()['detections']),
                                timing_ms=r.json()['timing_ms'], health=health)
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise SystemExit(f'{shlex.join(cmd)}: no 200 from /detect within {timeout} s')
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_ext.environment import machine
    predict = [time_predict(p) for p in args.photos for _ in range(args.runs)]
    serve = [time_serve(args.photos[0], args.port, args.timeout) for _ in range(args.runs)]
    report = dict(
        command=shlex.join(['python', 'tools/benchmark_release.py', *sys.argv[1:]]),
        date=datetime.date.today().isoformat(), machine=machine(),
        predict=dict(runs=predict,
                     median_s=statistics.median(r['seconds'] for r in predict)),
        serve_first_answer=dict(runs=serve,
                                median_s=statistics.median(r['seconds'] for r in serve)))
    with open(args.out + '.json', 'w') as f:
        json.dump(report, f, indent=2)
    lines = [
        '# The release\'s first answers, from a fresh process', '',
        f"`{report['command']}` — {report['date']}, {report['machine']}", '',
        '| what | median | runs (s) |', '|---|---|---|',
        f"| `python tools/predict.py PHOTO` (start, load, one photo, write) | "
        f"{report['predict']['median_s']:.2f} s | "
        f"{', '.join(str(r['seconds']) for r in predict)} |",
        f"| `make serve` → first `POST /detect` 200 | "
        f"{report['serve_first_answer']['median_s']:.2f} s | "
        f"{', '.join(str(r['seconds']) for r in serve)} |", '',
        f"Photos: {', '.join(osp.basename(p) for p in args.photos)}. Last predict summary: "
        f"`{predict[-1]['summary']}`. The service's health after its first answer: "
        f"`{json.dumps(serve[-1]['health'])}`.", '']
    with open(args.out + '.md', 'w') as f:
        f.write('\n'.join(lines))
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""How light serving is: start-up time, server memory idle and after N requests, and the
``--help`` time of the command-line tools, for one Python (the full install's, or a slim one
made from ``requirements/serve.txt``): ``python tools/benchmark_serving_footprint.py
[--python VENV/bin/python] [--requests 1000] [--out benchmarks/serving_footprint_slim]``.

The server is ``tools/serve.py`` with ``--serve-args`` (default: the release in weights/),
started by ``--python``; start-up is the time from launching it to the first ``/health`` 200
(the model loaded). The uploads are the images of ``--images`` or synthetic photos, plus
``--large`` photos of the largest size the service takes (40 MP). The RSS curve (every 2 s)
goes to the JSON; the report gives the level after the first tenth of the requests (warm-up)
and the highest level after it, as a ratio: the soak of issue 34 is ``--requests 5000
--large 2`` (within 1.15).
"""
import argparse
import glob
import os.path as osp
import shlex
import subprocess
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from projects.tbank_logo.service import bench  # noqa: E402

HELP_TOOLS = ('tools/serve.py', 'tools/predict.py', *sorted(glob.glob('tools/data/*.py')))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--python', default=sys.executable, help='the Python that serves')
    p.add_argument('--serve-args', default='', help='tools/serve.py arguments (quoted)')
    p.add_argument('--requests', type=int, default=1000)
    p.add_argument('--concurrency', type=int, default=4)
    p.add_argument('--images', help='folder of uploads (default: synthetic photos)')
    p.add_argument('--num-images', type=int, default=16)
    p.add_argument('--large', type=int, default=0,
                   help='also upload this many 7296x5472 JPEGs (40 MP, the pixel limit)')
    p.add_argument('--out', help='write OUT.json and OUT.md')
    return p.parse_args(argv)


def help_seconds(python: str) -> dict:
    """Wall time of ``TOOL --help`` for each tool (a fresh process each, imports included)."""
    times = {}
    for tool in HELP_TOOLS:
        start = time.perf_counter()
        subprocess.run([python, tool, '--help'], cwd=bench.REPO, check=True,
                       capture_output=True)
        times[tool] = round(time.perf_counter() - start, 2)
    return times


def payloads(args):
    if args.images:
        paths = sorted(glob.glob(osp.join(args.images, '*')))[:args.num_images]
    else:
        import tempfile

        from projects.tbank_logo.synthetic import generate_dataset
        root = tempfile.mkdtemp(prefix='footprint_')
        generate_dataset(root, num_images=args.num_images, img_size=640, seed=7)
        paths = sorted(glob.glob(osp.join(root, 'images', '*')))
    uploads = [open(p, 'rb').read() for p in paths]
    for i in range(args.large):  # a photo enlarged to the limit, spread among the others
        import cv2
        big = cv2.resize(cv2.imread(paths[i % len(paths)]), (7296, 5472))
        uploads.insert(len(uploads) * (i + 1) // (args.large + 1),
                       cv2.imencode('.jpg', big, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    return uploads


def after_warmup(curve, requests: int) -> dict:
    """RSS once a tenth of the requests are answered, the highest after, and their ratio."""
    later = [mb for _, n, mb in curve if n >= requests / 10]
    if not later:
        return {}
    return dict(warm_mb=later[0], max_after_mb=max(later),
                ratio=round(max(later) / later[0], 3))


def main(argv=None) -> int:
    args = parse_args(argv)
    uploads = payloads(args)
    port = bench.free_port()
    start = time.perf_counter()
    proc = bench.spawn_server(shlex.split(args.serve_args), port, python=args.python)
    startup = time.perf_counter() - start
    url = f'http://127.0.0.1:{port}'
    try:
        time.sleep(1)  # let the start-up settle
        idle = bench.server_rss(url, proc.pid)
        load = bench.run_load(url, uploads, args.concurrency, args.requests, 3600, 0, proc.pid)
        after = bench.server_rss(url, proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    heavy = subprocess.run([args.python, '-c', 'import importlib.util as u; print(sorted(m for m '
                            'in ("torch", "mmengine", "mmcv", "mmdet", "mmyolo") '
                            'if u.find_spec(m)))'], capture_output=True, text=True).stdout
    result = dict(python=args.python, stack_installed=heavy.strip(),
                  serve_args=args.serve_args or '(the release in weights/)',
                  startup_s=round(startup, 2), rss_idle_mb=round(idle / 2 ** 20, 1),
                  rss_after_mb=round(after / 2 ** 20, 1), requests=load['requests'],
                  statuses=load['statuses'], latency_ok=load['latency_ok'],
                  rss_during_mb=load['rss_mb'],
                  rss_after_warmup=after_warmup(load['rss_curve'], load['requests']),
                  uploads=len(uploads), large_uploads=args.large,
                  help_s=help_seconds(args.python), rss_curve=load['rss_curve'])
    print(f"start-up {result['startup_s']} s; RSS idle {result['rss_idle_mb']} MB, after "
          f"{load['requests']} requests {result['rss_after_mb']} MB (after warm-up: "
          f"{result['rss_after_warmup']}); statuses "
          f"{load['statuses']}; --help {result['help_s']}")
    if args.out:
        bench.write_report(result, args.out, 'Serving footprint',
                           'python tools/benchmark_serving_footprint.py '
                           + shlex.join(argv or sys.argv[1:]))
    return 0


if __name__ == '__main__':
    sys.exit(main())

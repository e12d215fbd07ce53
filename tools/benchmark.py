r"""Latency, throughput and memory of a detector on every backend available here.

    python tools/benchmark.py --config configs/yolov8_n_tbank_demo_cpu.py \
        --models work_dirs/demo/epoch_8.pth work_dirs/demo/deploy/end2end.onnx \
        --images ../shared/data/real --out benchmarks/latency_cpu

For each model file (``.pth`` + ``--config``: PyTorch; ``.onnx``: ONNX Runtime; ``.engine``:
TensorRT) and each device in ``--devices`` it can use, in a fresh process (so peak memory is that
backend's own): load the :class:`~mmdet_ext.inference.Detector` once, warm up, then time

* model only: the backend call on an already preprocessed batch of one;
* end to end: decode the file -> preprocess -> infer -> postprocess (``Detector.predict_file``);
* throughput: ``predict_batch`` at each ``--batch-sizes`` (decoded images), images per second;

and report median/p90/p99, peak process RSS and, on a GPU, peak CUDA memory. Writes
``OUT.json`` and ``OUT.md`` (command, machine, date, versions).
"""
import argparse
import datetime
import json
import multiprocessing as mp
import os.path as osp
import platform
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from tools.anchor.bench import machine, sample_images  # noqa: E402
from tools.anchor.common import summarize  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=type(
        'F', (argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter), {}))
    parser.add_argument('--models', nargs='+', required=True, help='.pth, .onnx or .engine files')
    parser.add_argument('--config', help='model config (needed for .pth)')
    parser.add_argument('--images', required=True, help='folder searched recursively')
    parser.add_argument('--num-images', type=int, default=30, help='seeded sample size')
    parser.add_argument('--devices', nargs='+', default=['cpu', 'cuda'],
                        help='devices to try; unavailable ones are skipped')
    parser.add_argument('--warmup', type=int, default=5, help='untimed calls')
    parser.add_argument('--runs', type=int, default=2, help='timed passes over the images')
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 4, 8])
    parser.add_argument('--out', required=True, help='output path without extension')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def device_available(model: str, device: str) -> bool:
    """Whether ``model``'s backend can run on ``device`` in this environment."""
    ext = osp.splitext(model)[1]
    if device == 'cpu':
        return ext != '.engine'
    try:
        import torch
        if not torch.cuda.is_available():
            return False
    except ImportError:
        return False
    if ext == '.onnx':
        import onnxruntime as ort
        return 'CUDAExecutionProvider' in ort.get_available_providers()
    if ext == '.engine':
        try:
            import tensorrt  # noqa: F401
        except ImportError:
            return False
    return True


def peak_rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cuda_sync(device):
    if device.startswith('cuda'):
        import torch
        torch.cuda.synchronize()


def bench_one(model, config, device, paths, warmup, runs, batch_sizes, progress):
    """Time one model on one device (runs in its own process)."""
    import cv2
    from tqdm import tqdm

    from mmdet_ext.inference import Detector
    from mmdet_ext.inference.preprocess import preprocess
    rss_start = peak_rss_mb()
    start = time.perf_counter()
    det = Detector(model, config=config, device=device)
    load_s = time.perf_counter() - start
    images = [cv2.imread(p) for p in paths]
    for i in range(warmup):
        det.predict(images[i % len(images)])
    model_only, end_to_end = [], []
    bar = tqdm(total=runs * len(paths) * 2, desc=f'{det.backend}:{device}', disable=not progress)
    for _ in range(runs):
        for img in images:
            batch, _ = preprocess([img], det.spec)
            t = time.perf_counter()
            det.runtime(batch)
            _cuda_sync(device)
            model_only.append(time.perf_counter() - t)
            bar.update()
        for path in paths:
            t = time.perf_counter()
            det.predict_file(path)
            _cuda_sync(device)
            end_to_end.append(time.perf_counter() - t)
            bar.update()
    bar.close()
    throughput = {}
    for size in batch_sizes:
        batches = [images[i:i + size] for i in range(0, len(images) - size + 1, size)] or \
            [images[:size]]
        t = time.perf_counter()
        for batch in batches:
            det.predict_batch(batch)
        _cuda_sync(device)
        throughput[str(size)] = sum(map(len, batches)) / (time.perf_counter() - t)
    gpu_peak = None
    if device.startswith('cuda'):
        import torch
        gpu_peak = torch.cuda.max_memory_allocated() / 2**20
    return dict(model=model, backend=det.backend, device=device,
                input_size=list(det.input_size), load_s=load_s,
                model_only=summarize(model_only), end_to_end=summarize(end_to_end),
                throughput_img_s=throughput, peak_rss_mb=peak_rss_mb(),
                rss_before_load_mb=rss_start, gpu_peak_mb=gpu_peak)


def versions():
    import importlib.metadata as md
    found = {}
    for name in ('torch', 'onnxruntime', 'onnxruntime-gpu', 'tensorrt', 'mmdeploy', 'mmyolo'):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return found


def render_markdown(report) -> str:
    lines = [f"# Inference latency ({report['date']})", '',
             f"Command: `{report['command']}`", '',
             f"Machine: {report['machine']}; {report['num_images']} images "
             f"({report['images']}), {report['runs']} timed passes after {report['warmup']} "
             f"warm-up calls. Versions: {report['versions']}.", '',
             '| backend | device | input | model-only median / p90 / p99 ms | '
             'end-to-end median / p90 / p99 ms | img/s by batch | peak RSS MB | GPU peak MB |',
             '|---|---|---|---|---|---|---|---|']
    for r in report['results']:
        mo, e2e = r['model_only'], r['end_to_end']
        tp = ', '.join(f'b{k}: {v:.1f}' for k, v in r['throughput_img_s'].items())
        gpu = '-' if r['gpu_peak_mb'] is None else f"{r['gpu_peak_mb']:.0f}"
        lines.append(f"| {r['backend']} | {r['device']} | {r['input_size'][0]}x"
                     f"{r['input_size'][1]} | {mo['median_ms']:.1f} / {mo['p90_ms']:.1f} / "
                     f"{mo['p99_ms']:.1f} | {e2e['median_ms']:.1f} / {e2e['p90_ms']:.1f} / "
                     f"{e2e['p99_ms']:.1f} | {tp} | {r['peak_rss_mb']:.0f} | {gpu} |")
    for s in report['skipped']:
        lines.append(f'\nSkipped: {s}')
    return '\n'.join(lines) + '\n'


def main(argv=None):
    args = parse_args(argv)
    paths = sample_images(args.images, args.num_images)
    results, skipped = [], []
    ctx = mp.get_context('spawn')
    for model in args.models:
        for device in args.devices:
            if not device_available(model, device):
                skipped.append(f'{osp.basename(model)} on {device} (backend not available here)')
                continue
            with ctx.Pool(1) as pool:
                results.append(pool.apply(bench_one, (
                    model, args.config, device, paths, args.warmup, args.runs,
                    args.batch_sizes, not args.no_progress)))
            r = results[-1]
            print(f"{r['backend']:<12} {device:<5} e2e median {r['end_to_end']['median_ms']:.1f} "
                  f"ms, p99 {r['end_to_end']['p99_ms']:.1f} ms; model-only median "
                  f"{r['model_only']['median_ms']:.1f} ms; peak RSS {r['peak_rss_mb']:.0f} MB")
    report = dict(command='python ' + ' '.join(sys.argv), date=datetime.date.today().isoformat(),
                  machine=machine(), python=platform.python_version(), versions=versions(),
                  images=args.images, num_images=len(paths), warmup=args.warmup, runs=args.runs,
                  results=results, skipped=skipped)
    with open(args.out + '.json', 'w') as f:
        json.dump(report, f, indent=2)
    with open(args.out + '.md', 'w') as f:
        f.write(render_markdown(report))
    print(f'wrote {args.out}.json and {args.out}.md')
    return 0


if __name__ == '__main__':
    sys.exit(main())

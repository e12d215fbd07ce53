r"""Anchor benchmark: our end-to-end ONNX Runtime latency against Ultralytics YOLOv8 ``predict``.

    python tools/deploy.py configs/yolov8_n_tbank_demo_cpu.py work_dirs/demo/epoch_8.pth \
        --deploy-cfg deploy_configs/detection_onnxruntime_static-320x320.py \
        --work-dir work_dirs/demo/deploy
    python tools/benchmark_anchor.py --ours work_dirs/demo/deploy/end2end.onnx [--images DIR]

Ultralytics is installed into a throw-away virtual environment outside the repository
(``--venv``, made on the first run, reused while its pins match; never a dependency of this
project) and runs there as a subprocess: it builds a one-class ``yolov8n.yaml`` (random weights,
nothing downloaded), exports it with its own exporter at our model's input size, and times
``YOLO(onnx).predict(path)``. Our side, in this interpreter, times
``Detector(onnx).predict_file`` (decode included). Both run on the same image files,
interleaved image by image, with the same ONNX Runtime intra-op thread count. Writes
``benchmarks/anchor_ultralytics.{json,md}`` with median/p90/p99 per side and the ratio
ours/theirs against the 0.8 target (issue 5).
"""
import argparse
import datetime
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from tools.anchor import env as anchor_env  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_IMAGES = osp.join(REPO, '..', 'shared', 'data', 'real')


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=_Formatter)
    parser.add_argument('--ours', required=True,
                        help='our ONNX model, exported by tools/deploy.py (its end2end.json '
                        'sidecar gives the preprocessing; else pass --config)')
    parser.add_argument('--config', help='model config, when the ONNX file has no sidecar')
    parser.add_argument('--images', default=DEFAULT_IMAGES,
                        help='folder searched recursively for images, e.g. the real photos')
    parser.add_argument('--num-images', type=int, default=50,
                        help='seeded sample of this many images (0: all)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the image sample')
    parser.add_argument('--size', type=int,
                        help='input size both models use, e.g. 320 or 640; checked against '
                        '--ours, read from it when omitted')
    parser.add_argument('--warmup', type=int, default=10, help='untimed calls per side')
    parser.add_argument('--runs', type=int, default=3, help='timed passes over the images')
    parser.add_argument('--threads', type=int, default=os.cpu_count(),
                        help='ONNX Runtime intra-op threads on both sides')
    parser.add_argument('--scale', default='n', choices=tuple('nsmlx'),
                        help='Ultralytics YOLOv8 size; the same as ours')
    parser.add_argument('--venv', default=anchor_env.DEFAULT_VENV,
                        help='throw-away environment for Ultralytics')
    parser.add_argument('--torch-spec', default=anchor_env.DEFAULT_TORCH,
                        help='torch/torchvision pins for that environment')
    parser.add_argument('--find-links', default=anchor_env.DEFAULT_FIND_LINKS,
                        help='local wheel folder pip also looks in (skipped when absent)')
    parser.add_argument('--reinstall', action='store_true', help='rebuild the environment')
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'anchor'),
                        help='Ultralytics model, export and log')
    parser.add_argument('--out', default=osp.join(REPO, 'benchmarks', 'anchor_ultralytics'),
                        help='output path without extension (.md and .json are written)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def _shown(path: str) -> str:
    """``path`` relative to the repository when inside it or beside it, else absolute."""
    rel = osp.relpath(osp.abspath(path), REPO)
    return rel if not rel.startswith('../..') else osp.abspath(path)


def _noise_note(others) -> str:
    if others is None:
        return ''
    note = f'; other processes used {others:.0%} of the CPU capacity during the timed calls'
    return note + (' — the machine was shared: treat the numbers as noisy' if others > 0.1
                   else '')


def load_ours(args):
    """Our :class:`~mmdet_ext.inference.Detector`, ORT threads pinned, network call timed."""
    from tools.anchor.bench import TimedRuntime
    from tools.anchor.common import pin_ort_threads
    pin_ort_threads(args.threads)  # before any session exists, the same wrapper as the worker's
    from mmdet_ext.inference import Detector
    detector = Detector(args.ours, config=args.config, device='cpu')
    detector.runtime = TimedRuntime(detector.runtime)
    w, h = detector.input_size
    if args.size is not None and (w, h) != (args.size, args.size):
        raise SystemExit(f'error: --size {args.size} but {args.ours} takes {w}x{h}')
    return detector


def measure(args, python, detector, paths):
    """Start the Ultralytics worker, time both sides; returns the timings and the worker's
    facts (versions, threads, export time) plus the CPU share other processes took."""
    from tools.anchor import bench
    w, h = detector.input_size
    print(f'Ultralytics: exporting yolov8{args.scale} at {w}x{h} (log: {args.work_dir})')
    worker = bench.UltralyticsWorker(python, (h, w), args.work_dir, args.threads, args.scale)
    try:
        pids = [os.getpid(), worker.proc.pid]
        before = bench.cpu_snapshot(pids)
        timings = bench.run_interleaved(detector, worker, paths, args.warmup, args.runs,
                                        progress=not args.no_progress)
        others = bench.others_cpu_share(before, bench.cpu_snapshot(pids))
        info = worker.request(info=True)
    finally:
        worker.close()
    return timings, dict(info, others_cpu_share=others, export_s=worker.ready['export_s'],
                         onnx=worker.ready['onnx'])


def describe(args, argv, paths, detector, timings, run, loadavg_start) -> dict:
    """The ``meta`` of the report: command, machine, load, inputs, threads, method."""
    import cv2

    from tools.anchor.bench import machine, onnx_facts
    shapes = sorted({tuple(r['shape']) for r in timings['ours']}, key=lambda s: s[0] * s[1])
    return dict(
        command='python tools/benchmark_anchor.py ' + ' '.join(argv),
        machine=machine(),
        date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        loadavg_start=' '.join(f'{x:.2f}' for x in loadavg_start),
        loadavg_end=' '.join(f'{x:.2f}' for x in os.getloadavg()),
        others_cpu_share=run['others_cpu_share'],
        noise_note=_noise_note(run['others_cpu_share']),
        input_size=list(detector.input_size), num_images=len(paths),
        images=f'seeded sample (seed {args.seed}) from {_shown(args.images)}, '
               f'{len(shapes)} distinct sizes from {shapes[0][1]}x{shapes[0][0]} to '
               f'{shapes[-1][1]}x{shapes[-1][0]}',
        warmup=args.warmup, runs=args.runs, ort_threads=args.threads,
        ort_threads_effective=dict(
            ours=detector.runtime.session.get_session_options().intra_op_num_threads,
            theirs=run['ort_intra_op_threads']),
        torch_threads_theirs=run['torch_threads'],
        cv2_threads=dict(ours=cv2.getNumThreads(), theirs=run['cv2_threads']),
        order='interleaved: each image on both sides back to back, the side going first '
              'alternating from image to image and pass to pass; one side computes while the '
              'other waits',
        ours_model=_shown(args.ours), scale=args.scale,
        theirs_export_s=round(run['export_s'], 1),
        onnx=dict(ours=onnx_facts(args.ours), theirs=onnx_facts(run['onnx'])))


def main(argv=None) -> int:
    args = parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    if not osp.isdir(args.images):
        print(f'skipped: no image folder at {osp.abspath(args.images)} (pass --images)')
        return 0
    from tools.anchor.bench import our_versions, sample_images
    from tools.anchor.report import build_report, write_report

    paths = sample_images(args.images, args.num_images, args.seed)
    loadavg_start = os.getloadavg()
    python = anchor_env.ensure_env(args.venv, args.torch_spec, args.find_links, args.reinstall)
    detector = load_ours(args)
    timings, run = measure(args, python, detector, paths)
    meta = describe(args, argv, paths, detector, timings, run, loadavg_start)
    report = build_report(meta, dict(ours=our_versions(), theirs=run['versions']), timings)
    print(write_report(report, args.out))
    return 0


if __name__ == '__main__':
    sys.exit(main())

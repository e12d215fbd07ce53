"""Load-test the detection service over loopback: req/s, p50/p99 latency, server memory.

Either drive a running service (``--url``) or start one here (``--model``, as
``tools/serve.py`` takes it; ``--model fake`` for the model-free stand-in). Uploads are the
images of ``--images DIR``, else synthetic photos with logos made on the fly. The run stops
at ``--requests`` or ``--duration``, whichever comes first.

    python tools/load_test.py --model work_dirs/demo/epoch_8.pth \
        --config configs/yolov8_n_tbank_demo_cpu.py --concurrency 4 --requests 2000 \
        --out benchmarks/service_load
"""
import argparse
import glob
import os.path as osp
import shlex
import sys
import tempfile

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone


def parse_args(argv=None):
    from projects.tbank_logo.service import bench
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    bench.add_target_args(p)
    p.add_argument('--concurrency', type=int, default=4, help='concurrent clients')
    p.add_argument('--requests', type=int, default=500, help='requests at most')
    p.add_argument('--duration', type=float, default=120, help='seconds at most')
    p.add_argument('--warmup', type=int, default=10, help='requests before measuring')
    p.add_argument('--images', help='folder of JPEG/PNG uploads (default: synthetic)')
    p.add_argument('--num-images', type=int, default=16, help='synthetic images to make')
    p.add_argument('--image-size', type=int, default=640, help='synthetic image side')
    p.add_argument('--pid', type=int, help='server pid, to read its memory from /proc')
    p.add_argument('--out', help='write OUT.json and OUT.md (e.g. benchmarks/service_load)')
    return p.parse_args(argv)


def load_payloads(args):
    if args.images:
        paths = sorted(p for ext in ('jpg', 'jpeg', 'png', 'bmp', 'webp')
                       for p in glob.glob(osp.join(args.images, '**', '*.' + ext),
                                          recursive=True))
    else:
        from projects.tbank_logo.synthetic import generate_dataset
        root = tempfile.mkdtemp(prefix='load_test_')
        generate_dataset(root, num_images=args.num_images, img_size=args.image_size, seed=7)
        paths = sorted(glob.glob(osp.join(root, 'images', '*')))
    if not paths:
        raise SystemExit(f'error: no images found in {args.images}')
    return [open(p, 'rb').read() for p in paths[:max(args.num_images, 1)]]


def main(argv=None) -> int:
    args = parse_args(argv)
    from projects.tbank_logo.service import bench
    payloads = load_payloads(args)
    proc, url, pid = bench.start_target(args, args.pid)
    try:
        result = bench.run_load(url, payloads, args.concurrency, args.requests, args.duration,
                                args.warmup, pid)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    result.update(uploads=len(payloads), upload_kb=round(
        sum(map(len, payloads)) / len(payloads) / 1024, 1), model=args.model or args.url)
    lat = result['latency_ok']
    print(f"{result['requests']} requests in {result['seconds']} s from {args.concurrency} "
          f"clients: {result['req_per_s']} req/s, p50 {lat.get('p50_ms')} ms, "
          f"p99 {lat.get('p99_ms')} ms; statuses {result['statuses']}; "
          f"server RSS {result['rss_mb']}")
    if args.out:
        bench.write_report(result, args.out, 'Detection service load test',
                           'python tools/load_test.py ' + shlex.join(argv or sys.argv[1:]))
    return 0


if __name__ == '__main__':
    sys.exit(main())

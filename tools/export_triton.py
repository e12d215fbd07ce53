"""Write a Triton Inference Server model repository for an exported ONNX model or TensorRT engine.

Examples:
  python tools/export_triton.py work_dirs/onnx/end2end.onnx --out triton_repo
  python tools/export_triton.py work_dirs/trt/end2end.engine --onnx work_dirs/trt/end2end.onnx \\
      --out triton_repo --max-batch 8 --kind gpu
  tritonserver --model-repository triton_repo
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # repo root, for mmdet_ext


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write <out>/<name>/config.pbtxt and <out>/<name>/1/model.onnx (ONNX Runtime\n'
        'backend) or 1/model.plan (TensorRT backend), with dynamic batching when the model has a\n'
        'dynamic batch dimension. The preprocessing sidecar beside the model (end2end.onnx ->\n'
        'end2end.json) is copied to <out>/<name>/model.json for clients.',
        epilog=__doc__.split('\n', 1)[1],
        formatter_class=lambda prog: argparse.RawDescriptionHelpFormatter(prog, width=100))
    parser.add_argument('model', help='exported model: .onnx, or a TensorRT .engine/.plan/.trt')
    parser.add_argument('--onnx', help='for an engine: the ONNX it was built from (its inputs '
                        'and outputs go into the config; TensorRT is not needed here)')
    parser.add_argument('--out', required=True, help='model repository folder (other models in '
                        'it are kept)')
    parser.add_argument('--name', default='tbank_logo', help='model name (default: %(default)s)')
    parser.add_argument('--max-batch', type=int, default=8,
                        help='max_batch_size for a dynamic-batch model; 0 turns batching off; '
                        "for an engine, at most its profile's max batch (default: %(default)s)")
    parser.add_argument('--preferred-batch', type=int, nargs='+', default=[4, 8],
                        help='batch sizes the dynamic batcher aims for (default: 4 8)')
    parser.add_argument('--queue-delay-us', type=int, default=500,
                        help='how long a request may wait to join a batch, microseconds '
                        '(default: %(default)s)')
    parser.add_argument('--instances', type=int, default=1,
                        help='model instances (per GPU when on GPU) (default: %(default)s)')
    parser.add_argument('--kind', choices=('auto', 'cpu', 'gpu'), default='auto',
                        help='where instances run; auto: GPU for an engine, for ONNX GPU if '
                        'the server has one, else CPU (default: %(default)s)')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing <out>/<name>')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmdet_ext.deploy.triton import export_triton_repository  # after --help: slow import
    try:
        result = export_triton_repository(
            args.model, args.out, name=args.name, onnx=args.onnx, max_batch_size=args.max_batch,
            preferred_batch_sizes=args.preferred_batch, queue_delay_us=args.queue_delay_us,
            instances=args.instances, kind=args.kind, overwrite=args.force)
    except (OSError, ValueError) as e:  # TritonConfigError is a ValueError
        print(f'error: {e}', file=sys.stderr)
        return 1
    for note in result.notes:
        print(f'note: {note}')
    print(f'wrote {result.config_path}\n      {result.model_file}')
    if result.sidecar:
        print(f'      {result.sidecar} (preprocessing settings for clients)')
    print(f'serve: tritonserver --model-repository {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

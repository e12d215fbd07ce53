"""Export a checkpoint with MMDeploy and check that the exported model agrees with PyTorch.

    python tools/deploy.py CONFIG CHECKPOINT --deploy-cfg deploy_configs/...py --work-dir DIR

Writes ``DIR/end2end.onnx`` (and ``DIR/end2end.engine`` for a TensorRT deploy config when
TensorRT and a GPU are present), ``DIR/end2end.json`` (the preprocessing and calibrated score
threshold the :class:`~mmdet_ext.inference.Detector` reads) and ``DIR/parity.json``. Exits 1
when the exported model disagrees with PyTorch beyond the tolerances.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone


from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export to ONNX / TensorRT through MMDeploy, then check parity with PyTorch.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='trained checkpoint (.pth)')
    parser.add_argument('--deploy-cfg', required=True, help='MMDeploy config in deploy_configs/')
    parser.add_argument('--work-dir', required=True, help='output folder')
    parser.add_argument('--deploy-options', nargs='+', action=DictAction, default={},
                        help='override deploy config settings, key=value (e.g. '
                        'codebase_config.post_processing.score_threshold=0.01)')
    parser.add_argument('--images', nargs='+', help='images or folders for the export sample and '
                        'the parity check (default: the config\'s test set)')
    parser.add_argument('--num-images', type=int, default=8, help='images for the parity check')
    parser.add_argument('--device', default='cpu', help='export/reference device; TensorRT '
                        'engines are built and run on cuda:0 when the device is cpu')
    parser.add_argument('--score-thr', type=float, default=None,
                        help='calibrated threshold to store with the model (default: '
                        'score_threshold.json beside the checkpoint, if any)')
    parser.add_argument('--parity-score-thr', type=float, default=0.1,
                        help='compare boxes scored at least this')
    parser.add_argument('--iou-tol', type=float, default=0.9, help='min IoU of matched boxes')
    parser.add_argument('--score-tol', type=float, default=0.03, help='max score difference')
    parser.add_argument('--skip-parity', action='store_true', help='export only')
    return parser.parse_args(argv)


def tensorrt_available() -> bool:
    try:
        import tensorrt  # noqa: F401
        import torch
        return torch.cuda.is_available()
    except ImportError:
        return False


def run_parity(args, model_cfg, model_path, images):
    """End-to-end and model-only comparisons; returns the reports."""
    import cv2

    from mmdet_ext.deploy.parity import check_parity, mmdet_reference
    from mmdet_ext.inference import Detector
    device = args.device
    exported = Detector(model_path, device=device, score_thr=0.0)
    pytorch = Detector(args.checkpoint, config=model_cfg, device=device, score_thr=0.0,
                       spec=exported.spec)
    loaded = [(osp.basename(p), cv2.imread(p)) for p in images]
    tol = dict(score_thr=args.parity_score_thr, iou_tol=args.iou_tol, score_tol=args.score_tol)
    return [check_parity('end_to_end', mmdet_reference(pytorch.runtime.model),
                         exported.predict_raw, loaded, **tol),
            check_parity('model_only', pytorch.predict_raw, exported.predict_raw, loaded, **tol)]


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config

    from mmdet_ext.cli import config_test_images, list_images
    from mmdet_ext.deploy.export import (align_test_size, build_tensorrt, deploy_input_size,
                                         export_onnx, write_sidecar)
    from mmdet_ext.inference import PreprocessSpec
    model_cfg = Config.fromfile(args.config)
    deploy_cfg = Config.fromfile(args.deploy_cfg)
    deploy_cfg.merge_from_dict(args.deploy_options)
    size = deploy_input_size(deploy_cfg)
    if size is not None:
        align_test_size(model_cfg, size)
    images = (list_images(args.images, args.num_images) if args.images
              else config_test_images(model_cfg, args.num_images))
    if not images:
        raise SystemExit('no images for the export sample: pass --images')

    onnx_path = export_onnx(model_cfg, args.checkpoint, deploy_cfg, args.work_dir, images[0],
                            args.device)
    spec = PreprocessSpec.from_config(model_cfg)
    write_sidecar(onnx_path, spec, args.checkpoint, args.score_thr,
                  tile_size=model_cfg.get('inference_tile_size'))
    print(f'ONNX: {onnx_path}')
    model_path = onnx_path
    if deploy_cfg.backend_config.type == 'tensorrt':
        if not tensorrt_available():
            print('TensorRT or a CUDA GPU is not available: the engine was not built. On a GPU '
                  'machine with `pip install tensorrt-cu12`, run this command again.')
            return 0
        model_path = build_tensorrt(onnx_path, deploy_cfg)
        print(f'TensorRT engine: {model_path}')
    if args.skip_parity:
        return 0

    reports = run_parity(args, model_cfg, model_path, images)
    with open(osp.join(args.work_dir, 'parity.json'), 'w') as f:
        json.dump([r.summary() for r in reports], f, indent=2)
    for r in reports:
        s = r.summary()
        print(f"parity {s['name']:<10} {'OK  ' if r.ok else 'FAIL'} images={s['images']} "
              f"matched={s['matched']} min_iou={s['min_iou']} "
              f"max_score_diff={s['max_score_diff']:.4f} missing={s['missing']} "
              f"extra={s['extra']}")
    failed = [r for r in reports if not r.ok]
    if failed:
        for r in failed:
            print(f'{r.name}: ' + '\n  '.join(r.problems[:10]), file=sys.stderr)
        if [r.name for r in failed] == ['end_to_end']:
            print('The network agrees on identical inputs: the preprocessing differs from the '
                  "config's test pipeline.", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

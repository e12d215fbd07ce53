"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out-dir DIR]``.

Prints P/R/F1 at IoU 0.5 (at the config's score threshold and at the F1-maximising one),
mAP@0.5, mAP@0.5:0.95 and the size/attribute tables. Runs on the CPU when no GPU is present.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmengine.config import Config, DictAction  # noqa: E402

from mmdet_ext.cli import load_config  # noqa: E402
from mmdet_ext.models import use_tiled_inference  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test (evaluate) a detector checkpoint.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the evaluation logs go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--out', help='dump predictions to this pickle file')
    parser.add_argument('--out-dir', help='write metrics.json (summary, size and attribute '
                        'breakdowns, curves), pr_curve.png, f1_curve.png, overlays/ (ground '
                        'truth green, predictions red) and fp/, fn/ crops here')
    parser.add_argument('--calibrate', action='store_true',
                        help='write the F1-maximising score threshold to '
                        '<out-dir>/score_threshold.json (needs --out-dir)')
    parser.add_argument('--show-dir', help='save images with predictions drawn, under '
                        '<work-dir>/<timestamp>/<show-dir>')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation (the config\'s tta_model / tta_pipeline)')
    parser.add_argument('--tile-size', type=int,
                        help='tiled inference (mmdet_ext.inference.tiled_predict): overlapping '
                        'tiles of this size (the network input size is a good value) plus a '
                        'downscaled full-image pass, merged')
    parser.add_argument('--tile-max-side', type=int,
                        help='with --tile-size: shrink larger images to this long side first')
    parser.add_argument('--tile-min-side', type=int, default=0,
                        help='with --tile-size: images up to this long side get one untiled '
                        'pass (the service tiles only above 2x the network input size)')
    parser.add_argument('--stretch', type=float,
                        help='with --tile-size: images not tiled (up to --tile-min-side) are '
                        'also detected stretched this many times wide and as many times tall, '
                        'for logos squashed with their photo (mmdet_ext.inference.'
                        'stretched_predict; as the service does with --stretch)')
    parser.add_argument('--tile-merge', choices=['nms', 'wbf'], default='nms',
                        help='with --tile-size: how duplicate boxes of tiles are merged')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.calibrate and not args.out_dir:
        parser.error('--calibrate needs --out-dir')
    if args.stretch is not None and not args.stretch > 1:
        parser.error(f'--stretch must be above 1, got {args.stretch}')
    if args.stretch and not (args.tile_size and args.tile_min_side):
        parser.error('--stretch applies to the images the tiled path leaves untiled: give '
                     '--tile-size and --tile-min-side')
    if args.tile_size and args.tta:
        parser.error('--tile-size and --tta are two different test-time paths: pick one')
    return args


def build_cfg(args) -> Config:
    """The config with the command line applied."""
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise SystemExit('--tta needs tta_model and tta_pipeline in the config')
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    if args.tile_size:
        try:
            use_tiled_inference(cfg, tile_size=args.tile_size, max_side=args.tile_max_side,
                                min_side=args.tile_min_side, merge=args.tile_merge,
                                stretch=args.stretch)
        except ValueError as e:
            raise SystemExit(f'--tile-size: {e}')
    if args.show_dir:
        vis = cfg.default_hooks.visualization
        vis.draw, vis.test_out_dir = True, args.show_dir
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit('--out must be a .pkl file')
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(cfg.test_evaluator, dict) \
            else list(cfg.test_evaluator)
        cfg.test_evaluator.append(dict(type='mmdet.DumpDetResults', out_file_path=args.out))
    return cfg


def write_outputs(runner, out_dir: str, calibrate: bool) -> None:
    """Save the F1 metric's report, plots, galleries (and the calibrated threshold)."""
    from mmdet_ext.evaluation import DetectionF1Metric, save_report
    from mmdet_ext.evaluation.visualize import plot_curves, save_galleries
    metrics = [m for m in runner.test_evaluator.metrics if isinstance(m, DetectionF1Metric)]
    if not metrics:
        raise SystemExit('--out-dir needs a DetectionF1Metric (e.g. TBankF1Metric) in '
                         'test_evaluator')
    report, s = metrics[0].last_report, metrics[0].last_report['summary']
    os.makedirs(out_dir, exist_ok=True)
    save_report(report, osp.join(out_dir, 'metrics.json'))
    plot_curves(report, out_dir)
    # Galleries at the operating point that will ship: the calibrated one when asked for.
    threshold = s['best_thr'] if calibrate else s['score_thr']
    counts = save_galleries(metrics[0].last_results, out_dir, threshold, report['iou_thr'])
    print(f'wrote {out_dir}: metrics.json, pr_curve.png, f1_curve.png, '
          f"{counts['overlays']} overlays, {counts['fp']} FP and {counts['fn']} FN crops "
          f'(score >= {threshold:.3f})')
    if calibrate:
        path = osp.join(out_dir, 'score_threshold.json')
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(dict(score_thr=s['best_thr'], f1=s['best_f1'], precision=s['best_precision'],
                           recall=s['best_recall'], iou_thr=report['iou_thr']), f, indent=2)
        print(f"calibrated: score >= {s['best_thr']:.3f} gives F1={s['best_f1']:.4f} "
              f"(P={s['best_precision']:.4f} R={s['best_recall']:.4f}) -> {path}")


def main(argv=None) -> int:
    args = parse_args(argv)
    runner = Runner.from_cfg(build_cfg(args))
    runner.test()
    if args.out_dir:
        write_outputs(runner, args.out_dir, args.calibrate)
    return 0


if __name__ == '__main__':
    sys.exit(main())

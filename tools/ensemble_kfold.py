"""The k-fold estimate of an ensemble of real-photo recipes, from their saved predictions:
``python tools/ensemble_kfold.py NAME NAME [...]`` (``make real-ensemble RECIPES="hires geom"``).

For each fold whose service's-path predictions every recipe has saved
(``benchmarks/real_model_kfold_NAME_predictions/foldK_preds_service.json``, written by
``make real-kfold RECIPE=NAME``), fuses them (``tools/ensemble_predictions.py``) into
``benchmarks/real_model_kfold_NAME+NAME_predictions/`` (committed like a recipe's). Once every
fold is fused, scores them as ``kfold_real.sh`` scores one recipe: each fold at the best
threshold of the others (``tools/cross_calibrate.py`` on ``data/real_full/foldK_val.json``, the
photos at their own size), as labelled and with the reviewed ignore regions, into
``benchmarks/real_model_kfold_NAME+NAME_service{,_reviewed}.json``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmdet_ext.evaluation.report import (BAD_INPUT_ERRORS, bad_input_message,  # noqa: E402
                                         load_predictions)
from mmdet_ext.inference.ensemble import FUSION_IOU_THR  # noqa: E402
from tools.cross_calibrate import main as cross_calibrate  # noqa: E402
from tools.ensemble_predictions import ensemble  # noqa: E402
from tools.save_predictions import write_results  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('recipes', nargs='+', help='the RECIPE names of the ensemble')
    parser.add_argument('--predictions', default='benchmarks',
                        help='folder of the real_model_kfold_NAME_predictions folders')
    parser.add_argument('--parts-dir', default='data/real_full',
                        help="folder of the folds' ground truth, foldK_val.json")
    parser.add_argument('--regions', default='projects/tbank_logo/real_photos_ignore_regions.json',
                        help='the reviewed ignore regions')
    parser.add_argument('--folds', type=int, default=5)
    parser.add_argument('--iou-thr', type=float, default=FUSION_IOU_THR,
                        help="boxes of different models overlapping this much are one object")
    parser.add_argument('--draws', type=int, default=2000, help='bootstrap draws')
    return parser.parse_args(argv)


def fuse_fold(args, fold: int, out: str) -> bool:
    """Fuse one fold's saved predictions into ``out`` (kept if there); False if a recipe has
    not saved that fold yet."""
    if osp.exists(out):
        return True
    members = [osp.join(args.predictions, f'real_model_kfold_{recipe}_predictions',
                        f'fold{fold}_preds_service.json') for recipe in args.recipes]
    missing = [m for m in members if not osp.exists(m)]
    if missing:
        print(f'fold {fold}: no {missing[0]} yet')
        return False
    write_results(ensemble([load_predictions(m) for m in members], args.iou_thr), out)
    return True


def main(argv=None) -> int:
    args = parse_args(argv)
    if len(args.recipes) < 2:
        print('error: an ensemble needs two or more recipes', file=sys.stderr)
        return 1
    name = '+'.join(args.recipes)
    parts = [osp.join(args.parts_dir, f'fold{k}_val.json') for k in range(args.folds)]
    for part in parts:
        if not osp.exists(part):
            print(f"error: no {part}: run 'make real-kfold' first", file=sys.stderr)
            return 1
    preds = [osp.join(args.predictions, f'real_model_kfold_{name}_predictions',
                      f'fold{k}_preds_service.json') for k in range(args.folds)]
    try:
        fused = [fuse_fold(args, k, out) for k, out in enumerate(preds)]
    except BAD_INPUT_ERRORS as e:
        print(bad_input_message(e), file=sys.stderr)
        return 1
    if not all(fused):
        print('not every fold is fused yet: train the missing ones, then run this again')
        return 0
    results = osp.join(args.predictions, f'real_model_kfold_{name}_service')
    common = ['--parts', *parts, '--pred', *preds, '--draws', str(args.draws)]
    return (cross_calibrate([*common, '--out', f'{results}.json'])
            or cross_calibrate([*common, '--ignore-regions', args.regions,
                                '--out', f'{results}_reviewed.json']))


if __name__ == '__main__':
    sys.exit(main())

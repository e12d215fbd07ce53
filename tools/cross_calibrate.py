"""Cross-calibrated F1 of the parts of an evaluation set (two halves, or k folds):
``python tools/cross_calibrate.py --parts A.json B.json [...] --pred PRED [PRED ...]``.

Each part is scored at the F1-maximising threshold of the other parts' pooled predictions,
the TP/FP/FN of all parts are summed, and a bootstrap over images gives a 95 % interval: no
threshold is chosen on the images it scores. The PRED files together hold predictions for the
images of every part (e.g. one file per fold, each from that fold's model): COCO results json
(as ``tools/evaluate.py`` takes) or pickles ``tools/test.py --out`` wrote.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmdet_ext.data_tools import apply_ignore_regions  # noqa: E402
from mmdet_ext.evaluation.cross_calibration import cross_calibrated_f1  # noqa: E402
from mmdet_ext.evaluation.report import (BAD_INPUT_ERRORS, bad_input_message,  # noqa: E402
                                         load_predictions, results_from_coco)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--parts', nargs='+', required=True,
                        help='ground truth of each part (disjoint images), COCO json')
    parser.add_argument('--pred', nargs='+', required=True,
                        help='predictions: COCO results .json or tools/test.py --out .pkl')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU for a match')
    parser.add_argument('--draws', type=int, default=2000, help='bootstrap draws (0: none)')
    parser.add_argument('--seed', type=int, default=0, help='bootstrap seed')
    parser.add_argument('--ignore-regions',
                        help='regions file (mmdet_ext.data_tools.ignore_regions): unmatched '
                        'predictions on them count for nothing; each must be in some part')
    parser.add_argument('--regions-of-some-parts', action='store_true',
                        help='the parts are some of the folds the regions file covers: skip '
                        'the regions of photos in no part instead of failing')
    parser.add_argument('--out', help='write the report (JSON) here')
    args = parser.parse_args(argv)
    if len(args.parts) < 2:
        parser.error('--parts needs at least two files')
    return args


def load_json(path: str):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def part_results(gt_path: str, predictions: list, gt: dict = None) -> list:
    """Per-image results of one part: the predictions for its images only (``gt``: the part's
    ground truth when already loaded)."""
    gt = gt if gt is not None else load_json(gt_path)
    ids = {img['id'] for img in gt['images']}
    own = [p for p in predictions if p.get('image_id') in ids]
    if ids and not own:  # a forgotten prediction file would score its part as all misses
        raise ValueError(f'{gt_path}: no prediction is for any of its {len(ids)} images')
    return results_from_coco(gt, own)


def load_prediction_files(paths: list) -> list:
    """The predictions of every file, which must be for disjoint images: a file given twice,
    or two models' predictions for one photo, would count each duplicate box as a false
    alarm."""
    predictions, owner = [], {}
    for i, path in enumerate(paths):
        own = load_predictions(path)
        for image_id in {p.get('image_id') for p in own}:
            first = owner.setdefault(image_id, i)
            if first != i:
                raise ValueError(f'{path}: has predictions for image {image_id}, as '
                                 f'{paths[first]} (argument {first + 1}) does (the files must '
                                 'be for disjoint images)')
        predictions += own
    return predictions


def format_cross_report(r: dict, names: list) -> str:
    """A line per part (its counts at the other parts' best threshold), then the pool."""
    ci = r['f1_ci95']
    return '\n'.join([
        *(f"{name}: TP {p['tp']} FP {p['fp']} FN {p['fn']}, F1 {p['f1']:.4f} at the others' "
          f"best threshold {p['threshold']:.3f}" for name, p in zip(names, r['parts'])),
        f"pooled: TP {r['tp']} FP {r['fp']} FN {r['fn']}: P {r['precision']:.4f} "
        f"R {r['recall']:.4f} F1 {r['f1']:.4f}"
        + (f" (95 % bootstrap {ci[0]:.3f}-{ci[1]:.3f}, {r['draws']} draws)" if ci else '')])


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        predictions = load_prediction_files(args.pred)
        gts = [load_json(path) for path in args.parts]
        if args.ignore_regions:
            apply_ignore_regions(gts, args.ignore_regions,
                                 require_all=not args.regions_of_some_parts)
        parts = [part_results(path, predictions, gt) for path, gt in zip(args.parts, gts)]
    except BAD_INPUT_ERRORS as e:
        print(bad_input_message(e), file=sys.stderr)
        return 1
    report = cross_calibrated_f1(parts, iou_thr=args.iou_thr, draws=args.draws, seed=args.seed)
    report.update(part_files=args.parts, ignore_regions=args.ignore_regions)
    print(format_cross_report(report, args.parts))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())

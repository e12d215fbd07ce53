"""Score predictions made elsewhere: ``python tools/evaluate.py GT.json PRED [PRED ...]``.

Each PRED is a COCO results json (a list of ``{"image_id", "bbox": [x, y, w, h], "score"}``,
as MMDetection's ``CocoMetric`` or any other detector writes it) or a pickle ``tools/test.py
--out`` wrote; several files are pooled (e.g. the k-fold models' predictions on their held-out
folds, scored against the whole set). The numbers are those of ``TBankF1Metric`` on the same
input.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmdet_ext.data_tools import apply_ignore_regions  # noqa: E402
from mmdet_ext.evaluation.report import (BAD_INPUT_ERRORS, bad_input_message,  # noqa: E402
                                         collect_image_attributes, evaluate_detections,
                                         format_report, load_predictions, results_from_coco,
                                         save_report)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('gt', help='ground truth, COCO json')
    parser.add_argument('pred', nargs='+',
                        help='predictions: COCO results .json or tools/test.py --out .pkl')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU for a match')
    parser.add_argument('--score-thr', type=float, default=0.25,
                        help='score threshold of the fixed operating point')
    parser.add_argument('--bucket-edges', type=float, nargs=3, default=(16, 32, 96),
                        help='box side lengths bounding the tiny/small/medium/large buckets')
    parser.add_argument('--ignore-regions',
                        help='regions file (mmdet_ext.data_tools.ignore_regions): unmatched '
                        'predictions on them count for nothing (regions of other images skipped)')
    parser.add_argument('--out', help='write the full report (JSON) here')
    parser.add_argument('--galleries',
                        help='write FP/FN crops and overlays at --score-thr into this folder')
    parser.add_argument('--images-dir',
                        help="the ground truth's images, for --galleries (default: the "
                        "folder 'images' beside GT)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        with open(args.gt, encoding='utf-8') as f:
            gt = json.load(f)
        if args.ignore_regions:  # GT may be a subset (one fold): report how many apply
            placed, total = apply_ignore_regions([gt], args.ignore_regions, require_all=False)
            print(f'ignore regions: {placed} of {total} are in these images')
        predictions = [p for path in args.pred for p in load_predictions(path)]
        results = results_from_coco(gt, predictions)
    except BAD_INPUT_ERRORS as e:
        print(bad_input_message(e), file=sys.stderr)
        return 1
    images = {img['id']: img for img in gt['images']}
    report = evaluate_detections(results, iou_thr=args.iou_thr, score_thr=args.score_thr,
                                 bucket_edges=args.bucket_edges,
                                 image_attributes=collect_image_attributes(images, images))
    print(format_report(report))
    if args.out:
        save_report(report, args.out)
    if args.galleries:
        from mmdet_ext.evaluation.visualize import save_galleries
        root = args.images_dir or osp.join(osp.dirname(args.gt), 'images')
        for r in results:
            r['img_path'] = osp.join(root, images[r['img_id']]['file_name'])
        counts = save_galleries(results, args.galleries, args.score_thr, args.iou_thr)
        print(f'galleries in {args.galleries}: ' +
              ', '.join(f'{n} {k}' for k, n in counts.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())

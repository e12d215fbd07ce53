"""Keep predictions as a small COCO results json:
``python tools/save_predictions.py PRED [PRED ...] --out FILE.json [--min-score 0.01]``.

PRED is a pickle ``tools/test.py --out`` wrote (or a COCO results json). Boxes below
``--min-score`` are dropped (F1 is never read that low; mAP loses only the tail below it) and
coordinates rounded to 0.01 px, so the held-out predictions behind a reported score can be
committed and scored again (``tools/evaluate.py``, ``tools/cross_calibrate.py``) after the
machine and its checkpoints are gone.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmdet_ext.evaluation.report import (BAD_INPUT_ERRORS, bad_input_message,  # noqa: E402
                                         load_predictions)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('pred', nargs='+',
                        help='predictions: tools/test.py --out .pkl or COCO results .json')
    parser.add_argument('--out', required=True, help='the COCO results .json to write')
    parser.add_argument('--min-score', type=float, default=0.01,
                        help='drop boxes scored below this')
    return parser.parse_args(argv)


def write_results(predictions: list, out: str) -> None:
    """Write COCO results to ``out`` with boxes rounded to 0.01 px, all at once: never a
    half-written file where a finished one is expected."""
    kept = [dict(image_id=p['image_id'], category_id=p.get('category_id', 1), score=p['score'],
                 bbox=[round(float(v), 2) for v in p['bbox']]) for p in predictions]
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    tmp = out + '.part'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(kept, f, separators=(',', ':'))
    os.replace(tmp, out)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        kept = [p for path in args.pred for p in load_predictions(path)
                if p['score'] >= args.min_score]
        write_results(kept, args.out)
    except BAD_INPUT_ERRORS as e:
        print(bad_input_message(e), file=sys.stderr)
        return 1
    print(f'{len(kept)} boxes scored >= {args.min_score} -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

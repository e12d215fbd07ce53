"""Fuse several models' predictions of the same images into one ensemble's:
``python tools/ensemble_predictions.py PRED_A PRED_B [...] --out FILE.json [--iou-thr 0.55]``.

Each PRED is one model's predictions (COCO results .json, or a ``tools/test.py --out`` pickle)
of the same images in the same pixels (e.g. two recipes' saved k-fold predictions on one fold,
both on the service's path). Per image, the boxes are fused by
``mmdet_ext.inference.ensemble.fuse_models`` (a box the models agree on keeps their mean
score; one that only one of two models sees, half of its score), and written as a COCO results
json that ``tools/evaluate.py`` and ``tools/cross_calibrate.py`` score like one model's.
"""
import argparse
import os.path as osp
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from mmdet_ext.evaluation.report import (BAD_INPUT_ERRORS, bad_input_message,  # noqa: E402
                                         load_predictions)
from mmdet_ext.inference.detections import Detections  # noqa: E402
from mmdet_ext.inference.ensemble import FUSION_IOU_THR, fuse_models  # noqa: E402
from tools.save_predictions import write_results  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('pred', nargs='+', help="each model's predictions of the same images")
    parser.add_argument('--out', required=True, help='the COCO results .json to write')
    parser.add_argument('--iou-thr', type=float, default=FUSION_IOU_THR,
                        help="boxes of different models overlapping this much are one object")
    return parser.parse_args(argv)


def by_image(predictions: list) -> dict:
    """One model's COCO results as ``{image_id: Detections}`` (boxes xyxy)."""
    boxes, scores = defaultdict(list), defaultdict(list)
    for p in predictions:
        x, y, w, h = p['bbox']
        boxes[p['image_id']].append([x, y, x + w, y + h])
        scores[p['image_id']].append(p['score'])
    return {i: Detections(np.array(boxes[i], np.float32), np.array(scores[i], np.float32))
            for i in boxes}


def ensemble(per_model: list, iou_thr: float) -> list:
    """The fused COCO results of several models' COCO results."""
    models = [by_image(predictions) for predictions in per_model]
    fused = []
    for image_id in sorted({i for m in models for i in m}, key=str):
        dets = fuse_models([m.get(image_id, Detections()) for m in models], iou_thr)
        for (x1, y1, x2, y2), score in zip(dets.boxes.tolist(), dets.scores.tolist()):
            fused.append(dict(image_id=image_id, category_id=1, score=score,
                              bbox=[x1, y1, x2 - x1, y2 - y1]))
    return fused


def main(argv=None) -> int:
    args = parse_args(argv)
    if len(args.pred) < 2:
        print('error: an ensemble needs the predictions of at least two models',
              file=sys.stderr)
        return 1
    try:
        fused = ensemble([load_predictions(path) for path in args.pred], args.iou_thr)
        write_results(fused, args.out)
    except BAD_INPUT_ERRORS as e:
        print(bad_input_message(e), file=sys.stderr)
        return 1
    print(f'{len(fused)} fused boxes of {len(args.pred)} models -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

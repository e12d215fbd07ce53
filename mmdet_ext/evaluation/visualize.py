"""Plots and error galleries a person looks at after an evaluation.

* ``pr_curve.png`` and ``f1_curve.png`` from a report's threshold sweep;
* ``overlays/``: every image with ground truth in green and predictions in red with scores;
* ``fp/`` and ``fn/``: crops (with context) of false positives and missed boxes, for review.
"""
import glob
import os
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np

from .matching import match_image

GREEN, RED = (0, 200, 0), (0, 0, 255)  # BGR


def plot_curves(report: Dict, out_dir: str) -> List[str]:
    """Write the precision-recall and F1-vs-confidence curves; returns the file paths."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(out_dir, exist_ok=True)
    c, s = report['curves'], report['summary']
    paths = []

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(c['recall'], c['precision'], color='tab:blue')
    ax.scatter([s['best_recall']], [s['best_precision']], color='tab:red', zorder=3,
               label=f"best F1 {s['best_f1']:.3f} @ {s['best_thr']:.2f}")
    ax.set(xlabel='recall', ylabel='precision', xlim=(0, 1.02), ylim=(0, 1.02),
           title=f"PR curve, IoU>={report['iou_thr']}  (mAP@0.5={s.get('mAP50', 0):.3f})")
    ax.grid(alpha=0.3)
    ax.legend(loc='lower left')
    paths.append(_save(fig, osp.join(out_dir, 'pr_curve.png')))

    fig, ax = plt.subplots(figsize=(5, 4))
    for key, colour in (('f1', 'tab:red'), ('precision', 'tab:blue'), ('recall', 'tab:green')):
        ax.plot(c['threshold'], c[key], label=key, color=colour)
    ax.axvline(s['best_thr'], color='grey', ls='--', lw=1)
    ax.set(xlabel='confidence threshold', ylabel='value', xlim=(0, 1), ylim=(0, 1.02),
           title=f"F1 vs confidence (best {s['best_f1']:.3f} @ {s['best_thr']:.2f})")
    ax.grid(alpha=0.3)
    ax.legend(loc='lower left')
    paths.append(_save(fig, osp.join(out_dir, 'f1_curve.png')))
    return paths


def _save(fig, path: str) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path


def save_galleries(results: List[Dict], out_dir: str, score_thr: float, iou_thr: float = 0.5,
                   max_overlays: int = 200, max_crops: int = 500) -> Dict[str, int]:
    """Write overlays and FP/FN crops for results that carry ``img_path``.

    Args:
        results: per-image dicts (``img_path``, ``pred_boxes``, ``pred_scores``, ``gt_boxes``).
        out_dir: folder that receives ``overlays/``, ``fp/`` and ``fn/``.
        score_thr: predictions below it are not drawn and not counted.
        iou_thr: IoU of a match, as in the metric.
        max_overlays: cap on the number of overlay images.
        max_crops: cap on the number of crops per folder (a bad model makes thousands).
    Returns the number of files written per folder. The crops and overlays of an earlier run
    into the same ``out_dir`` are removed first: left there, they would show errors the model
    being reviewed does not make.
    """
    counts = dict(overlays=0, fp=0, fn=0)
    for name in counts:
        folder = osp.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        for old in glob.glob(osp.join(folder, '*.jpg')):  # only what this function writes
            os.remove(old)
    for res in results:
        img = cv2.imread(res.get('img_path') or '')
        if img is None:
            continue
        keep = res['pred_scores'] >= score_thr
        m = match_image(res['pred_boxes'][keep], res['pred_scores'][keep], res['gt_boxes'],
                        iou_thr, res.get('ignore_boxes'))
        boxes = res['pred_boxes'][keep][m.pred_index]
        stem = osp.splitext(osp.basename(res['img_path']))[0]
        for i in np.flatnonzero(~m.pred_is_tp)[:max(0, max_crops - counts['fp'])]:
            counts['fp'] += _save_crop(img, boxes[i], RED, f'{m.scores[i]:.2f}',
                                       osp.join(out_dir, 'fp', f'{stem}_{i}.jpg'))
        for j in np.flatnonzero(np.isinf(m.gt_best_score))[:max(0, max_crops - counts['fn'])]:
            counts['fn'] += _save_crop(img, res['gt_boxes'][j], GREEN, 'missed',
                                       osp.join(out_dir, 'fn', f'{stem}_{j}.jpg'))
        if counts['overlays'] < max_overlays:
            overlay = img.copy()
            for box in res['gt_boxes']:
                _draw(overlay, box, GREEN)
            for box, score in zip(boxes, m.scores):
                _draw(overlay, box, RED, f'{score:.2f}')
            cv2.imwrite(osp.join(out_dir, 'overlays', f'{stem}.jpg'), overlay)
            counts['overlays'] += 1
    return counts


def _draw(img, box, colour, label=None) -> None:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    thickness = max(1, round(max(img.shape[:2]) / 400))
    cv2.rectangle(img, (x1, y1), (x2, y2), colour, thickness)
    if label:
        cv2.putText(img, label, (x1, max(y1 - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * thickness, colour, thickness)


def _save_crop(img, box, colour, label, path, context: float = 1.0, min_side: int = 96) -> int:
    """Crop the box with ``context`` times its size around it, enlarged to ``min_side``."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    pad_x, pad_y = max(w * context, 16), max(h * context, 16)
    H, W = img.shape[:2]
    cx1, cy1 = int(max(0, x1 - pad_x)), int(max(0, y1 - pad_y))
    cx2, cy2 = int(min(W, x2 + pad_x)), int(min(H, y2 + pad_y))
    if cx2 <= cx1 or cy2 <= cy1:
        return 0
    crop = img[cy1:cy2, cx1:cx2].copy()
    scale = max(1.0, min_side / max(1, min(crop.shape[:2])))
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    _draw(crop, [(x1 - cx1) * scale, (y1 - cy1) * scale, (x2 - cx1) * scale,
                 (y2 - cy1) * scale], colour, label)
    cv2.imwrite(path, crop)
    return 1

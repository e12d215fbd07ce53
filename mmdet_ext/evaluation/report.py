"""Dataset-level detection report: P/R/F1 (fixed and best threshold), COCO mAP, breakdowns.

Pure numpy + pycocotools, shared by the metric, the standalone evaluator and the tools.
"""
import contextlib
import io
import json
import pickle
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from .matching import (ASPECT_BUCKETS, SIZE_BUCKETS, MatchSet, best_f1, prf_at, prf_subset,
                       sweep_thresholds)

# Image fields of a COCO file that are not per-image attributes worth a breakdown.
_STANDARD_IMAGE_KEYS = {'id', 'file_name', 'width', 'height', 'license', 'flickr_url',
                        'coco_url', 'date_captured', 'photo_id'}


def collect_image_attributes(img_infos: Dict, img_ids: Iterable,
                             attributes: Optional[Sequence[str]] = None) -> Dict[str, Dict]:
    """{attribute: {img_id: value}} from COCO image entries (``img_infos``: id -> entry).

    Without ``attributes``, every non-standard scalar field is taken (e.g. ``scene``, or
    ``source``, the folder :func:`~mmdet_ext.data_tools.merge_coco` took an image from),
    except ``source_*`` provenance and ``original_*`` bookkeeping fields and fields with a
    distinct value per image (an id or a path is no breakdown).
    """
    by_attr = defaultdict(dict)
    for img_id in img_ids:
        for key, value in img_infos.get(img_id, {}).items():
            wanted = (key in attributes) if attributes is not None else (
                key not in _STANDARD_IMAGE_KEYS and not key.startswith(('source_', 'original_'))
                and isinstance(value, (str, int, bool)))
            if wanted:
                by_attr[key][img_id] = value
    return {k: v for k, v in by_attr.items()
            if attributes is not None or len(set(v.values())) <= 50}


def evaluate_detections(results: List[dict],
                        iou_thr: float = 0.5,
                        score_thr: float = 0.25,
                        bucket_edges: Sequence[float] = (16, 32, 96),
                        image_attributes: Optional[Dict[str, Dict]] = None,
                        compute_map: bool = True) -> Dict:
    """Evaluate per-image results (``img_id``, ``width``, ``height``, ``pred_boxes``,
    ``pred_scores``, ``gt_boxes``, optionally ``ignore_boxes``; boxes xyxy). Returns a report
    dict with ``summary`` (flat scalars), ``by_size``, ``by_aspect`` (boxes by long side over
    short side, :data:`~.matching.ASPECT_BUCKETS`), ``by_attribute`` (P/R/F1 and, with
    ``compute_map``, mAP per value of each image attribute, e.g. a photo's source folder),
    ``negatives`` and ``curves``."""
    matches = MatchSet()
    for index, res in enumerate(results):
        matches.add(index, res['pred_boxes'], res['pred_scores'], res['gt_boxes'], iou_thr,
                    bucket_edges, res.get('ignore_boxes'))
    pooled = matches.pooled()
    num_gt = len(pooled['gt_bucket'])
    fixed = prf_at(pooled['scores'], pooled['is_tp'], num_gt, score_thr)
    best = best_f1(pooled['scores'], pooled['is_tp'], num_gt)

    negative_images = np.array([i for i, r in enumerate(results) if len(r['gt_boxes']) == 0])
    neg_fp = int(np.count_nonzero(np.isin(pooled['pred_image'], negative_images)
                                  & (pooled['scores'] >= score_thr)))
    summary = dict(fixed.as_dict())
    summary.pop('threshold')
    summary.update(score_thr=score_thr, best_f1=best.f1, best_precision=best.precision,
                   best_recall=best.recall, best_thr=best.threshold,
                   fp_per_neg_image=neg_fp / len(negative_images) if len(negative_images) else 0.0)
    if compute_map:
        summary.update(coco_map(results))

    by_size = _by_bucket(pooled, score_thr, SIZE_BUCKETS, 'bucket')
    by_aspect = _by_bucket(pooled, score_thr, ASPECT_BUCKETS, 'aspect')

    by_attribute = {}
    img_ids = [r['img_id'] for r in results]
    for attr, values in (image_attributes or {}).items():
        table = {}
        for value in sorted(set(values.values()), key=str):
            images = np.array([i for i, img_id in enumerate(img_ids)
                               if values.get(img_id) == value])
            prf = prf_subset(pooled, score_thr, pred_mask=np.isin(pooled['pred_image'], images),
                             gt_mask=np.isin(pooled['gt_image'], images))
            row = dict(prf.as_dict(), num_images=len(images))
            if compute_map:  # ranked within the group, as pycocotools on its images alone
                row.update(coco_map([results[i] for i in images]))
            table[str(value)] = row
        by_attribute[attr] = table

    curves = {k: v.tolist() for k, v in
              sweep_thresholds(pooled['scores'], pooled['is_tp'], num_gt).items()}
    return dict(summary=summary, num_images=len(results), by_size=by_size, by_aspect=by_aspect,
                by_attribute=by_attribute,
                negatives=dict(num_images=len(negative_images), fp=neg_fp),
                curves=curves, iou_thr=iou_thr, bucket_edges=list(bucket_edges))


def _by_bucket(pooled: Dict, score_thr: float, names: Sequence[str], key: str) -> Dict:
    """P/R/F1 per bucket of ``pooled['pred_KEY']`` / ``pooled['gt_KEY']``, with its box count."""
    table = {}
    for b, name in enumerate(names):
        gt_mask = pooled[f'gt_{key}'] == b
        prf = prf_subset(pooled, score_thr, pred_mask=pooled[f'pred_{key}'] == b, gt_mask=gt_mask)
        table[name] = dict(prf.as_dict(), num_gt=int(np.count_nonzero(gt_mask)))
    return table


def coco_map(results: List[dict]) -> Dict[str, float]:
    """mAP@0.5 and mAP@0.5:0.95 by pycocotools' COCOeval over the same results."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    images, anns, dets = [], [], []
    for res in results:
        images.append(dict(id=res['img_id'], width=res['width'], height=res['height']))
        for crowd, boxes in enumerate((res['gt_boxes'], res.get('ignore_boxes', ()))):
            for box in boxes:
                w, h = float(box[2] - box[0]), float(box[3] - box[1])
                anns.append(dict(id=len(anns) + 1, image_id=res['img_id'], category_id=1,
                                 bbox=[float(box[0]), float(box[1]), w, h], area=w * h,
                                 iscrowd=crowd))
        for box, score in zip(res['pred_boxes'], res['pred_scores']):
            dets.append(dict(image_id=res['img_id'], category_id=1, score=float(score),
                             bbox=[float(box[0]), float(box[1]), float(box[2] - box[0]),
                                   float(box[3] - box[1])]))
    if not any(a['iscrowd'] == 0 for a in anns):
        return dict(mAP50=0.0, mAP=0.0)
    gt = COCO()
    gt.dataset = dict(images=images, annotations=anns, categories=[dict(id=1, name='object')])
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        if not dets:
            return dict(mAP50=0.0, mAP=0.0)
        evaluator = COCOeval(gt, gt.loadRes(dets), 'bbox')
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return dict(mAP=max(float(evaluator.stats[0]), 0.0), mAP50=max(float(evaluator.stats[1]), 0.0))


def format_report(report: Dict) -> str:
    """A human-readable summary with the size and attribute tables."""
    s = report['summary']
    lines = [f"IoU>={report['iou_thr']}: at score>={s['score_thr']:.3f}  P={s['precision']:.4f} "
             f"R={s['recall']:.4f} F1={s['f1']:.4f} (TP={s['tp']} FP={s['fp']} FN={s['fn']})",
             f"best F1={s['best_f1']:.4f} at score>={s['best_thr']:.3f} "
             f"(P={s['best_precision']:.4f} R={s['best_recall']:.4f})"]
    if 'mAP50' in s:
        lines.append(f"mAP@0.5={s['mAP50']:.4f}  mAP@0.5:0.95={s['mAP']:.4f}")
    neg = report['negatives']
    lines.append(f"negative images: {neg['num_images']}, FP on them: {neg['fp']} "
                 f"({s['fp_per_neg_image']:.3f} per image)")
    lines.append(_table('size', report['by_size'], 'num_gt'))
    lines.append(_table('aspect', report['by_aspect'], 'num_gt'))
    for attr, table in report['by_attribute'].items():
        lines.append(_table(attr, table, 'num_images'))
    return '\n'.join(lines)


def _table(title: str, rows: Dict[str, Dict], count_key: str) -> str:
    with_map = any('mAP50' in r for r in rows.values())
    out = [f"{title:<12} {count_key:>10} {'P':>7} {'R':>7} {'F1':>7} {'TP':>5} {'FP':>5} {'FN':>5}"
           + (f" {'mAP@0.5':>8}" if with_map else '')]
    for name, r in rows.items():
        out.append(f"{name:<12} {r[count_key]:>10} {r['precision']:>7.4f} {r['recall']:>7.4f} "
                   f"{r['f1']:>7.4f} {r['tp']:>5} {r['fp']:>5} {r['fn']:>5}"
                   + (f" {r['mAP50']:>8.4f}" if with_map else ''))
    return '\n'.join(out)


def save_report(report: Dict, path: str) -> None:
    """Write the report as JSON."""
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=2)


def results_from_coco(gt: Dict, predictions: List[Dict]) -> List[Dict]:
    """Per-image results (as :func:`evaluate_detections` takes them) from a COCO ground-truth
    dict and predictions in the COCO results format (``image_id``, ``bbox`` xywh, ``score``).

    Every ground-truth image is evaluated, also those without predictions; a prediction for an
    image id that the ground truth lacks is an error naming that id. ``iscrowd`` annotations
    become the image's ``ignore_boxes``.
    """
    def xyxy(b):
        return [b[0], b[1], b[0] + b[2], b[1] + b[3]]

    per_image = {img['id']: dict(img_id=img['id'], width=img['width'], height=img['height'],
                                 gt=[], ignore=[], pred=[], score=[]) for img in gt['images']}
    for ann in gt['annotations']:
        key = 'ignore' if ann.get('iscrowd', 0) else 'gt'
        per_image[ann['image_id']][key].append(xyxy(ann['bbox']))
    for i, det in enumerate(predictions):
        if det.get('image_id') not in per_image:
            raise ValueError(f'prediction #{i}: image_id {det.get("image_id")!r} is not in the '
                             'ground truth')
        per_image[det['image_id']]['pred'].append(xyxy(det['bbox']))
        per_image[det['image_id']]['score'].append(det['score'])
    return [dict(img_id=r['img_id'], width=r['width'], height=r['height'],
                 gt_boxes=np.array(r['gt'], dtype=np.float64).reshape(-1, 4),
                 ignore_boxes=np.array(r['ignore'], dtype=np.float64).reshape(-1, 4),
                 pred_boxes=np.array(r['pred'], dtype=np.float64).reshape(-1, 4),
                 pred_scores=np.array(r['score'], dtype=np.float64))
            for r in per_image.values()]


# What a missing, unreadable or malformed ground-truth or prediction file raises.
BAD_INPUT_ERRORS = (OSError, ValueError, KeyError, pickle.UnpicklingError)


def bad_input_message(error: Exception) -> str:
    """One line for the command-line tools saying what is wrong with an input file."""
    if isinstance(error, KeyError):  # str(KeyError) is only the quoted key
        return f'error: a ground-truth or prediction entry lacks the field {error}'
    return f'error: {error}'


def load_predictions(path: str) -> List[Dict]:
    """COCO results (``image_id``, ``bbox`` xywh, ``score``) from a .json file or from a
    pickle of data samples as ``tools/test.py --out`` writes it (boxes xyxy there)."""
    if not path.endswith(('.pkl', '.pickle')):
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    with open(path, 'rb') as f:
        samples = pickle.load(f)  # noqa: S301 (a file tools/test.py wrote, not untrusted input)
    predictions = []
    for sample in samples:
        pred = sample['pred_instances']
        for box, score in zip(np.asarray(pred['bboxes']).tolist(), np.asarray(pred['scores'])):
            predictions.append(dict(image_id=sample['img_id'], score=float(score),
                                    bbox=[box[0], box[1], box[2] - box[0], box[3] - box[1]]))
    return predictions

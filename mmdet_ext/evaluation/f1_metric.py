"""F1 at an IoU threshold, with a confidence sweep, breakdowns and COCO mAP."""
import contextlib
import io
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmyolo.registry import METRICS

from .report import collect_image_attributes, evaluate_detections, format_report


@METRICS.register_module()
class DetectionF1Metric(BaseMetric):
    """Precision, recall and F1 of a (one-class) detector at an IoU threshold.

    A prediction is a true positive when it matches a not-yet-matched ground-truth box with
    IoU >= ``iou_thr`` (greedy, by descending score); an unmatched prediction is a false
    positive, an unmatched ground-truth box a false negative, except that an unmatched
    prediction inside an ignore region (an ``iscrowd`` annotation) counts for nothing, as in
    pycocotools. Images without ground truth (negatives) count their false positives. Matching
    is class-agnostic: it is meant for one-class detectors.

    Reported (keys under ``prefix/``): ``precision``, ``recall``, ``f1``, ``tp``, ``fp``, ``fn``
    at the fixed ``score_thr``; ``best_f1``, ``best_precision``, ``best_recall`` at the
    F1-maximising threshold ``best_thr`` found by a sweep; ``mAP50`` and ``mAP`` (0.5:0.95)
    from pycocotools' COCOeval on the same predictions; ``fp_per_neg_image``. Breakdowns by
    size bucket and by per-image attributes of the COCO file (e.g. ``scene``) are logged as
    tables and kept in :attr:`last_report` together with the PR/F1 curves; the per-image
    results of the last evaluation stay in :attr:`last_results`.

    Args:
        iou_thr (float): IoU for a match. Defaults to 0.5.
        score_thr (float): Confidence threshold of the fixed operating point. Defaults to 0.25.
        ann_file (str, optional): COCO file of the evaluated images. Ground truth and image
            attributes are read from it; without it, ground truth comes from each sample's
            ``gt_instances`` (original-image coordinates, as MMYOLO's test pipelines load them).
        bucket_edges (Sequence[float]): Side lengths (pixels of the original image) whose
            squares bound the tiny/small/medium/large area buckets. Defaults to (16, 32, 96).
        attributes (Sequence[str], optional): Image fields to break down by. Defaults to every
            non-standard scalar field found in the COCO file's images.
        compute_map (bool): Also compute COCO mAP. Defaults to True.
        collect_device, prefix: As for :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix = 'det'

    def __init__(self,
                 iou_thr: float = 0.5,
                 score_thr: float = 0.25,
                 ann_file: Optional[str] = None,
                 bucket_edges: Sequence[float] = (16, 32, 96),
                 attributes: Optional[Sequence[str]] = None,
                 compute_map: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0 < iou_thr <= 1:
            raise ValueError(f'iou_thr must be in (0, 1], got {iou_thr}')
        if len(bucket_edges) != 3 or list(bucket_edges) != sorted(bucket_edges):
            raise ValueError(f'bucket_edges must be 3 increasing sizes, got {bucket_edges}')
        self.iou_thr = iou_thr
        self.score_thr = score_thr
        self.bucket_edges = tuple(bucket_edges)
        self.compute_map = compute_map
        self.attributes = attributes
        self.ann_file = ann_file
        self._coco = None
        self.last_report: Dict = {}
        self.last_results: List[dict] = []
        if ann_file is not None:
            from pycocotools.coco import COCO
            with contextlib.redirect_stdout(io.StringIO()):
                self._coco = COCO(ann_file)

    # ------------------------------------------------------------------ collection
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep, per image, predictions and ground truth as numpy arrays (xyxy pixels)."""
        for sample in data_samples:
            pred = sample['pred_instances']
            img_id = sample['img_id']
            if self._coco is not None:
                gt_boxes = self._gt_from_coco(img_id, iscrowd=False)
                ignore_boxes = self._gt_from_coco(img_id, iscrowd=True)
            else:  # ignored_instances: the iscrowd boxes mmdet's LoadAnnotations flags
                gt_boxes = _numpy_boxes(sample['gt_instances'])
                ignore_boxes = _numpy_boxes(sample.get('ignored_instances'))
            self.results.append(dict(
                img_id=img_id,
                height=int(sample['ori_shape'][0]),
                width=int(sample['ori_shape'][1]),
                img_path=sample.get('img_path'),
                pred_boxes=pred['bboxes'].cpu().numpy().reshape(-1, 4),
                pred_scores=pred['scores'].cpu().numpy().reshape(-1),
                gt_boxes=np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4),
                ignore_boxes=np.asarray(ignore_boxes, dtype=np.float64).reshape(-1, 4)))

    def _gt_from_coco(self, img_id, iscrowd: bool) -> np.ndarray:
        anns = self._coco.loadAnns(self._coco.getAnnIds(imgIds=[img_id], iscrowd=iscrowd))
        return np.array([[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                          a['bbox'][1] + a['bbox'][3]] for a in anns]).reshape(-1, 4)

    # ------------------------------------------------------------------ computation
    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Score the collected results; see the class docstring for the keys."""
        report = evaluate_detections(results, iou_thr=self.iou_thr, score_thr=self.score_thr,
                                     bucket_edges=self.bucket_edges,
                                     image_attributes=self._image_attributes(results),
                                     compute_map=self.compute_map)
        self.last_report = report
        self.last_results = results  # for plots and error galleries (tools/test.py)
        print_log(format_report(report), logger=MMLogger.get_current_instance())
        return report['summary']

    def _image_attributes(self, results) -> Dict[str, Dict]:
        if self._coco is None:
            return {}
        return collect_image_attributes(self._coco.imgs, [r['img_id'] for r in results],
                                        self.attributes)


def _numpy_boxes(instances) -> np.ndarray:
    """xyxy boxes of a data sample's instances (none when absent)."""
    if instances is None or 'bboxes' not in instances:
        return np.zeros((0, 4))
    boxes = instances['bboxes']
    boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
    return boxes.cpu().numpy().reshape(-1, 4)

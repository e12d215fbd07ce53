"""Run a detector over the images of a COCO file and pair predictions with ground truth."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np


def predict_coco(model, coco: Dict, images_dir: str, progress: bool = True,
                 limit: Optional[int] = None) -> List[Dict]:
    """Predict every image of ``coco`` at its stored size with an MMDetection model.

    Args:
        model: a model from ``mmdet.apis.init_detector`` (its config's test pipeline resizes
            each image; boxes come back in original-image pixels).
        coco: a COCO dict; its boxes become ``gt_boxes``.
        images_dir: folder the ``file_name`` entries are relative to.
        progress: show a progress bar.
        limit: evaluate only the first ``limit`` images (quick checks).
    Returns per-image results as :func:`mmdet_ext.evaluation.evaluate_detections` takes them;
    an unreadable image is reported and skipped, never fatal.
    """
    from mmdet.apis import inference_detector
    from tqdm import tqdm

    gt = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        gt[ann['image_id']].append([x, y, x + w, y + h])
    images = coco['images'][:limit] if limit else coco['images']
    results = []
    for img in tqdm(images, disable=not progress, desc=osp.basename(osp.dirname(images_dir))):
        path = osp.join(images_dir, img['file_name'])
        try:
            pred = inference_detector(model, path).pred_instances
        except Exception as e:  # a corrupt photo must not end a long benchmark
            print(f'skipped {path}: {e}')
            continue
        results.append(dict(img_id=img['id'], width=img['width'], height=img['height'],
                            img_path=path,
                            pred_boxes=pred.bboxes.cpu().numpy().reshape(-1, 4),
                            pred_scores=pred.scores.cpu().numpy().reshape(-1),
                            gt_boxes=np.array(gt[img['id']], dtype=np.float64).reshape(-1, 4)))
    return results

"""Run a detector over the images of a COCO file and pair predictions with ground truth."""
import os.path as osp
from typing import Callable, Dict, List, Optional

import numpy as np

from .detections import Detections


def predict_coco(predict: Callable[[str], Detections], coco: Dict, images_dir: str,
                 progress: bool = True, limit: Optional[int] = None) -> List[Dict]:
    """Predict every image of ``coco``.

    Args:
        predict: image path -> :class:`Detections` in that image's pixels, unthresholded
            (e.g. ``lambda p: detector.predict_raw(cv2.imread(p))``).
        coco: a COCO dict; its boxes become ``gt_boxes``.
        images_dir: folder the ``file_name`` entries are relative to.
        progress: show a progress bar.
        limit: evaluate only the first ``limit`` images (quick checks).
    Returns per-image results as :func:`mmdet_ext.evaluation.evaluate_detections` takes them;
    an unreadable image is reported and skipped, never fatal.
    """
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
            pred = predict(path)
        except Exception as e:  # a corrupt photo must not end a long benchmark
            print(f'skipped {path}: {e}')
            continue
        results.append(dict(img_id=img['id'], width=img['width'], height=img['height'],
                            img_path=path, pred_boxes=pred.boxes.reshape(-1, 4),
                            pred_scores=pred.scores.reshape(-1),
                            gt_boxes=np.array(gt[img['id']], dtype=np.float64).reshape(-1, 4)))
    return results

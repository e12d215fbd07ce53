"""Copy-paste source: logo crops from any COCO dataset, returned as opaque RGBA "logos".

Pasting real crops onto synthetic backgrounds adds real-world appearance (print, lighting,
materials) that the procedural renderer cannot produce.
"""
import json
import os.path as osp
import warnings

import cv2
import numpy as np


def load_logo_crops(ann_file, images_dir=None, category_ids=None, min_size=4):
    """Crop every bbox of a COCO ``ann_file``; return a list of RGBA uint8 arrays.

    ``images_dir`` defaults to ``images/`` beside the annotation file (or the file's own
    folder when that does not exist). Boxes smaller than ``min_size`` px and unreadable
    images are skipped (the latter with a warning).
    """
    with open(ann_file) as f:
        coco = json.load(f)
    if images_dir is None:
        root = osp.dirname(osp.abspath(ann_file))
        images_dir = osp.join(root, 'images')
        images_dir = images_dir if osp.isdir(images_dir) else root
    by_image = {}
    for a in coco.get('annotations', []):
        if category_ids is None or a['category_id'] in category_ids:
            by_image.setdefault(a['image_id'], []).append(a['bbox'])
    crops = []
    for im in sorted(coco.get('images', []), key=lambda i: i['id']):
        if im['id'] not in by_image:
            continue
        img = cv2.imread(osp.join(images_dir, im['file_name']), cv2.IMREAD_COLOR)
        if img is None:
            warnings.warn(f"skipping unreadable image {im['file_name']}")
            continue
        H, W = img.shape[:2]
        for x, y, w, h in by_image[im['id']]:
            x0, y0 = max(int(round(x)), 0), max(int(round(y)), 0)
            x1, y1 = min(int(round(x + w)), W), min(int(round(y + h)), H)
            if x1 - x0 < min_size or y1 - y0 < min_size:
                continue
            rgb = cv2.cvtColor(img[y0:y1, x0:x1], cv2.COLOR_BGR2RGB)
            crops.append(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]))
    return crops

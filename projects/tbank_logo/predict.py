"""Detect logos in image files as the service does (``tools/predict.py``): the same decoding
(:func:`~.service.decode.decode_image`: type by content, EXIF upright, size limits), the same
inference path (:func:`~.service.pipeline.detect`) and the same answer format
(:func:`~.service.pipeline.to_int_boxes`), for files instead of uploads.
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Tuple

import cv2
import numpy as np

from mmdet_ext.cli import IMAGE_EXTENSIONS as MMDET_EXT_IMAGES

from .service.decode import ImageError, decode_image
from .service.pipeline import detect, to_int_boxes
from .service.settings import ServiceSettings

#: Extensions taken from a folder (a file named on the command line is read whatever its name).
IMAGE_EXTENSIONS = (*MMDET_EXT_IMAGES, '.heic', '.heif')  # the service also reads HEIC


def resolve_sources(sources: Iterable[str]) -> Tuple[List[str], List[Tuple[str, str]]]:
    """``(image files, [(source, problem)])`` of files, folders (their images, sorted, not
    recursive) and glob patterns; a source that names nothing is a problem, not an error."""
    files, problems = [], []
    for source in sources:
        if osp.isdir(source):
            found = sorted(osp.join(source, n) for n in os.listdir(source)
                           if n.lower().endswith(IMAGE_EXTENSIONS)
                           and osp.isfile(osp.join(source, n)))
            if not found:
                problems.append((source, 'folder holds no image (' +
                                 ', '.join(IMAGE_EXTENSIONS) + ')'))
        elif osp.isfile(source):
            found = [source]
        elif glob.has_magic(source):
            found = sorted(p for p in glob.glob(source, recursive=True) if osp.isfile(p))
            if not found:
                problems.append((source, 'pattern matches no file'))
        else:
            found = []
            problems.append((source, 'no such file or folder'))
        files += [f for f in found if f not in files]
    return files, problems


def draw_detections(image: np.ndarray, boxes: List[Dict]) -> np.ndarray:
    """A copy of the BGR image with each answer box and its score drawn."""
    out = image.copy()
    thick = max(2, round(max(image.shape[:2]) / 400))
    for det in boxes:
        b = det['bbox']
        p1, p2 = (b['x_min'], b['y_min']), (b['x_max'], b['y_max'])
        cv2.rectangle(out, p1, p2, (0, 0, 255), thick)
        label = f"logo {det['score']:.2f}"
        scale = thick / 3
        (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        y = p1[1] - 4 if p1[1] - h - 6 >= 0 else p2[1] + h + 4
        cv2.rectangle(out, (p1[0], y - h - 2), (p1[0] + w + 2, y + 2), (0, 0, 255), -1)
        cv2.putText(out, label, (p1[0] + 1, y), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return out


def predict_file(detector, path: str, settings: ServiceSettings, score_thr: float
                 ) -> Tuple[np.ndarray, Dict]:
    """``(decoded image, answer)`` of one file; the answer is ``POST /detect``'s body without
    its timing and request id, plus ``file``.

    Raises:
        OSError: the file cannot be read.
        ImageError: the service would refuse it (its ``error`` and ``detail`` say why).
    """
    with open(path, 'rb') as f:
        data = f.read()
    image = decode_image(data, settings.max_pixels, settings.max_side,
                         settings.max_jpeg_scans)
    outcome = detect(detector, image, settings, score_thr)
    h, w = image.shape[:2]
    return image, {'file': path, 'detections': to_int_boxes(outcome.detections, w, h),
                   'width': w, 'height': h, 'inference_path': outcome.path}


def output_stem(path: str, taken: set) -> str:
    """A file-name stem for ``path``'s outputs that no earlier image of the run took."""
    stem = osp.splitext(osp.basename(path))[0] or 'image'
    name, k = stem, 1
    while name in taken:
        k += 1
        name = f'{stem}_{k}'
    taken.add(name)
    return name


def write_outputs(out_dir: str, stem: str, image: np.ndarray, answer: Dict,
                  draw: bool = True) -> None:
    """``OUT/STEM.json`` (the answer) and, with ``draw``, ``OUT/STEM.jpg`` (annotated)."""
    with open(osp.join(out_dir, stem + '.json'), 'w', encoding='utf-8') as f:
        json.dump(answer, f, indent=2)
    if draw:
        cv2.imwrite(osp.join(out_dir, stem + '.jpg'), draw_detections(image, answer['detections']))


def describe_error(error: Exception) -> str:
    """One line naming what was wrong with an input."""
    if isinstance(error, ImageError):
        return f'{error.error}: {error.detail}'
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return f'{type(error).__name__}: {error}'

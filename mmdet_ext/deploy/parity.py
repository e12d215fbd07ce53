"""Parity between a reference detector and an exported one on the same images.

Two comparisons answer two questions:

* end to end: the PyTorch model through the config's own test pipeline (MMDetection's
  ``inference_detector``) against the exported model through the deployment preprocessing.
  A difference here is what users see; it catches preprocessing mistakes.
* model only: PyTorch and the exported model fed the *same* preprocessed tensor. A difference
  here is the export itself (an op, FP16, NMS settings).
"""
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from ..evaluation.matching import box_iou
from ..inference.detections import Detections


@dataclass
class ImageParity:
    """One image's comparison, over boxes scored at least ``score_thr``."""
    image: str
    matched: int = 0
    min_iou: float = 1.0
    max_score_diff: float = 0.0
    missing: int = 0  # reference boxes (clearly above threshold) without a counterpart
    extra: int = 0    # candidate boxes (clearly above threshold) without a counterpart


@dataclass
class ParityReport:
    """Per-image comparisons and the verdict against the tolerances."""
    name: str
    images: List[ImageParity]
    iou_tol: float
    score_tol: float
    score_thr: float
    problems: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> Dict:
        ious = [p.min_iou for p in self.images if p.matched]
        return dict(name=self.name, ok=self.ok, images=len(self.images),
                    matched=sum(p.matched for p in self.images),
                    min_iou=min(ious, default=None),
                    max_score_diff=max((p.max_score_diff for p in self.images), default=0.0),
                    missing=sum(p.missing for p in self.images),
                    extra=sum(p.extra for p in self.images),
                    iou_tol=self.iou_tol, score_tol=self.score_tol, score_thr=self.score_thr,
                    problems=self.problems, per_image=[asdict(p) for p in self.images])


def compare_detections(name: str, ref: Detections, cand: Detections, score_thr: float,
                       score_tol: float) -> ImageParity:
    """Match each reference box (score >= ``score_thr``) to the candidate box of highest IoU.

    A box whose score is within ``score_tol`` of the threshold may legitimately be on the other
    side of it in the other model, so it counts as missing/extra only when clearly above.
    """
    low = score_thr - score_tol
    ref, cand = ref.above(score_thr), cand.above(max(low, 0.0))
    result = ImageParity(name)
    used = np.zeros(len(cand), bool)
    ious = box_iou(ref.boxes, cand.boxes) if len(ref) and len(cand) else np.zeros((len(ref), 0))
    for i in range(len(ref)):
        candidates = np.where(~used)[0]
        if not len(candidates):
            result.missing += int(ref.scores[i] >= score_thr + score_tol)
            continue
        j = candidates[np.argmax(ious[i, candidates])]
        if ious[i, j] < 0.5:
            result.missing += int(ref.scores[i] >= score_thr + score_tol)
            continue
        used[j] = True
        result.matched += 1
        result.min_iou = min(result.min_iou, float(ious[i, j]))
        result.max_score_diff = max(result.max_score_diff,
                                    float(abs(ref.scores[i] - cand.scores[j])))
    result.extra = int((cand.scores[~used] >= score_thr + score_tol).sum())
    return result


def check_parity(name: str, reference: Callable[[np.ndarray], Detections],
                 candidate: Callable[[np.ndarray], Detections],
                 images: Sequence[Tuple[str, np.ndarray]], score_thr: float = 0.1,
                 iou_tol: float = 0.9, score_tol: float = 0.03) -> ParityReport:
    """Run both detectors on every image and judge the differences.

    Fails (``report.ok`` False, with one line per problem) when a matched box's IoU is below
    ``iou_tol``, a score differs by more than ``score_tol``, or a box clearly above the
    threshold has no counterpart.
    """
    report = ParityReport(name, [], iou_tol, score_tol, score_thr)
    for image_name, image in images:
        p = compare_detections(image_name, reference(image), candidate(image), score_thr,
                               score_tol)
        report.images.append(p)
        if p.matched and p.min_iou < iou_tol:
            report.problems.append(f'{image_name}: matched box IoU {p.min_iou:.3f} < {iou_tol}')
        if p.max_score_diff > score_tol:
            report.problems.append(f'{image_name}: score differs by {p.max_score_diff:.3f} > '
                                   f'{score_tol}')
        if p.missing or p.extra:
            report.problems.append(f'{image_name}: {p.missing} reference box(es) missing, '
                                   f'{p.extra} extra box(es) above {score_thr}')
    return report


def mmdet_reference(model) -> Callable[[np.ndarray], Detections]:
    """The PyTorch model through its config's own test pipeline (``inference_detector``)."""
    from mmdet.apis import inference_detector

    def detect(image: np.ndarray) -> Detections:
        pred = inference_detector(model, image).pred_instances
        order = pred.scores.argsort(descending=True)
        return Detections(pred.bboxes[order].cpu().numpy().astype(np.float32).reshape(-1, 4),
                          pred.scores[order].cpu().numpy().astype(np.float32))

    return detect

"""Train the verifier network on a :class:`~.data.CropSet`, score it, write it out.

A few minutes of CPU: the crops are 64 px and the network is ~60 K parameters. Positives and
negatives are balanced in the loss (``pos_weight``), not by resampling, so every crop is seen
once per epoch.
"""
import json
import os
import os.path as osp
import time
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch
from torch import nn

from .data import CropSet
from .model import VerifierNet, export_onnx, num_params

THRESHOLDS = (0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9)


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))).float()


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Photometric jitter, mirroring and blur of a batch of 0..255 crops in random order
    (logos are symmetric, come in any colour scheme and light, and are often tiny)."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    gain = torch.empty(n, 1, 1, 1).uniform_(0.7, 1.3, generator=gen)
    bias = torch.empty(n, 1, 1, 1).uniform_(-25, 25, generator=gen)
    tint = torch.empty(n, 3, 1, 1).uniform_(0.9, 1.1, generator=gen)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * gain + mean + bias
    x = x * tint
    gray = torch.rand(n, generator=gen) < 0.1
    x = torch.where(gray[:, None, None, None], x.mean(1, keepdim=True).expand_as(x), x)
    # Resolution jitter: a third of the batch down- and up-sampled, as a logo of a dozen
    # pixels looks once cropped and resized to the network input.
    k = int(n / 3)
    if k:
        size = x.shape[-1]
        low = int(torch.randint(size // 5, size // 2 + 1, (1,), generator=gen))
        small = nn.functional.interpolate(x[:k], size=(low, low), mode='area')
        x = torch.cat([nn.functional.interpolate(small, size=(size, size), mode='bilinear',
                                                 align_corners=False), x[k:]])
    return x.clamp(0, 255)


@torch.no_grad()
def predict_probs(net: nn.Module, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Probability of "logo" per crop (N, S, S, 3) uint8."""
    net.eval()
    out = [torch.sigmoid(net(_to_tensor(images[i:i + batch_size])))
           for i in range(0, len(images), batch_size)]
    return torch.cat(out).numpy() if out else np.zeros(0, np.float32)


def roc_auc(probs: np.ndarray, labels: np.ndarray) -> Optional[float]:
    """Area under the ROC curve (Mann-Whitney, ties averaged); None without both classes."""
    pos, neg = probs[labels > 0.5], probs[labels <= 0.5]
    if not len(pos) or not len(neg):
        return None
    _, inverse, counts = np.unique(np.concatenate([pos, neg]), return_inverse=True,
                                   return_counts=True)
    first = np.cumsum(counts) - counts  # 0-based rank of each distinct value's first copy
    ranks = (first + (counts + 1) / 2)[inverse]  # tied values share their average rank
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2)
                 / (len(pos) * len(neg)))


def score_crops(probs: np.ndarray, crops: CropSet, threshold: float = 0.5,
                thresholds: Sequence[float] = THRESHOLDS) -> Dict:
    """Accuracy, AUC, positives kept / negatives rejected (at ``threshold`` and a few others)
    overall, and accuracy per source."""
    labels = crops.labels > 0.5
    keep = probs >= threshold

    def rates(mask):
        p, n = labels & mask, ~labels & mask
        return dict(n=int(mask.sum()),
                    accuracy=float((keep[mask] == labels[mask]).mean()) if mask.any() else None,
                    auc=roc_auc(probs[mask], labels[mask].astype(np.float32)),
                    pos_kept=float(keep[p].mean()) if p.any() else None,
                    neg_rejected=float((~keep[n]).mean()) if n.any() else None)

    real = np.array([s.startswith(('real:', 'det:')) for s in crops.sources.tolist()], bool)
    sweep = [dict(threshold=t, pos_kept=float((probs[labels] >= t).mean()) if labels.any()
                  else None,
                  neg_rejected=float((probs[~labels] < t).mean()) if (~labels).any() else None)
             for t in thresholds]
    return dict(threshold=threshold, all=rates(np.ones(len(probs), bool)), real=rates(real),
                synthetic=rates(~real), sweep=sweep,
                by_source={s: rates(crops.sources == s) for s in sorted(set(crops.sources))})


def train_verifier(train: CropSet, val: Optional[CropSet] = None, epochs: int = 12,
                   batch_size: int = 128, lr: float = 3e-3, seed: int = 0,
                   widths=(16, 32, 64, 64), threads: Optional[int] = None,
                   log: Callable[[str], None] = print) -> (nn.Module, list):
    """Train a :class:`VerifierNet` on ``train``; returns ``(net, history)`` (one dict per
    epoch: loss, and val accuracy/AUC when ``val`` is given)."""
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = VerifierNet(widths)
    x_all, y_all = _to_tensor(train.images), torch.from_numpy(train.labels)
    n_pos = float(y_all.sum())
    pos_weight = torch.tensor((len(y_all) - n_pos) / max(n_pos, 1.0))
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = max(epochs * ((len(y_all) + batch_size - 1) // batch_size), 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps,
                                                pct_start=0.15)
    log(f'verifier: {num_params(net):,} parameters, {len(y_all)} train crops '
        f'({int(n_pos)} logos), {epochs} epochs')
    history = []
    for epoch in range(1, epochs + 1):
        net.train()
        start, total, seen = time.perf_counter(), 0.0, 0
        for idx in torch.randperm(len(y_all), generator=gen).split(batch_size):
            x = augment(x_all[idx], gen)
            loss = loss_fn(net(x), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        row = dict(epoch=epoch, loss=total / max(seen, 1),
                   seconds=round(time.perf_counter() - start, 1))
        if val is not None and len(val):
            s = score_crops(predict_probs(net, val.images), val)
            row.update(val_accuracy=s['all']['accuracy'], val_auc=s['all']['auc'],
                       val_real_auc=s['real']['auc'])
        history.append(row)
        log('  ' + ', '.join(f'{k} {v:.4f}' if isinstance(v, float) else f'{k} {v}'
                             for k, v in row.items() if v is not None))
    net.eval()
    return net, history


def write_verifier(out_dir: str, net: nn.Module, settings: Dict,
                   name: str = 'verifier') -> str:
    """Write ``<out_dir>/<name>.onnx`` and its settings ``<name>.json`` (crop size, context,
    band, threshold, and whatever else ``settings`` holds); returns the ONNX path."""
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, name + '.onnx')
    export_onnx(net, path, int(settings['crop_size']))
    with open(osp.join(out_dir, name + '.json'), 'w') as f:
        json.dump(settings, f, indent=2)
    return path

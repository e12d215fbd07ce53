"""Write a deterministic synthetic COCO dataset of T-Bank logos (the embedded default data).

Each image uses its own RNG ``np.random.default_rng([seed, index])``, so the output is
byte-identical whatever the number of worker processes.
"""
import json
import os
import os.path as osp
import time
import multiprocessing

import cv2
import numpy as np

from .backgrounds import list_images, make_background
from .compose import compose_scene
from .copy_paste import load_logo_crops
from .distractors import render_distractor
from .logo import render_logo

CATEGORIES = [{'id': 1, 'name': 'tbank_logo'}]
BUCKETS = (('tiny', 16 ** 2), ('small', 32 ** 2), ('medium', 96 ** 2), ('large', float('inf')))


def size_bucket(w, h):
    """COCO-like size bucket of a box, with an extra 'tiny' (< 16x16 px) bucket."""
    return next(name for name, limit in BUCKETS if w * h < limit)


def _logo_renderer(long_side, rng, background):
    # The shield is taller than wide: size it by its width so the longer side ~ long_side.
    return render_logo(rng, long_side / 1.12, background=background)


def _distractor_renderer(long_side, rng, background):
    return render_distractor(rng, long_side)[0]


_STATE = {}  # per-process config (set directly, or by the Pool initializer)


def _init(state, single_thread=False):
    if single_thread:
        cv2.setNumThreads(1)  # one process per core already; avoid oversubscription
    _STATE.clear()
    _STATE.update(state)


def make_image(index):
    """Render, write and describe image ``index``; returns ``(image_entry, [annotations])``."""
    s = _STATE
    rng = np.random.default_rng([s['seed'], index])
    w, h = s['size']
    bg, scene = make_background(rng, (w, h), s['photos'])
    negative = rng.random() < s['negative_fraction']
    n_logos = 0 if negative else 1 + int(rng.choice(s['max_logos'], p=s['count_p']))
    logos = []
    for _ in range(n_logos):
        crops = s['crops']
        logos.append(crops[int(rng.integers(len(crops)))] if crops and rng.random() < 0.5
                     else _logo_renderer)
    p_distr = max(s['distractor_prob'], 0.7) if negative else s['distractor_prob']
    n_distr = int(rng.integers(1, 3)) if rng.random() < p_distr else 0
    out = compose_scene(bg, logos, rng, [_distractor_renderer] * n_distr,
                        min_box=s['min_box'], max_box_frac=s['max_box_frac'])
    name = f'{index:06d}.jpg'
    ok, buf = cv2.imencode('.jpg', cv2.cvtColor(out['image'], cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, out['jpeg_quality']])
    buf.tofile(osp.join(s['out_dir'], 'images', name))
    entry = dict(id=index + 1, file_name=name, width=w, height=h, scene=scene,
                 lighting=out['lighting'])
    anns = [dict(image_id=index + 1, category_id=1, bbox=[round(v, 2) for v in b],
                 area=round(b[2] * b[3], 2), iscrowd=0, size_bucket=size_bucket(b[2], b[3]))
            for b in out['boxes']]
    return entry, anns


def generate_dataset(out_dir, num_images, img_size=320, seed=0, min_box=8, max_box_frac=0.5,
                     negative_fraction=0.15, max_logos=3, distractor_prob=0.5,
                     backgrounds_dir=None, logo_source=None, workers=1, progress=None):
    """Generate ``num_images`` images + ``annotations.json`` (COCO) under ``out_dir``.

    ``img_size``: int or ``(W, H)``. ``backgrounds_dir``: folder of photos to crop
    backgrounds from (else procedural only). ``logo_source``: a COCO json whose boxes are
    cropped and copy-pasted as extra logos. ``progress``: optional wrapper for the result
    iterator (e.g. ``partial(tqdm, total=n)``). Returns a summary dict.
    """
    t0 = time.time()
    size = (img_size, img_size) if np.isscalar(img_size) else tuple(int(v) for v in img_size)
    os.makedirs(osp.join(out_dir, 'images'), exist_ok=True)
    count_p = 0.5 ** np.arange(max(int(max_logos), 1))  # 1 logo most often, then 2, 3...
    state = dict(seed=int(seed), size=size, out_dir=out_dir, min_box=min_box,
                 max_box_frac=max_box_frac, negative_fraction=negative_fraction,
                 max_logos=max(int(max_logos), 1), count_p=count_p / count_p.sum(),
                 distractor_prob=distractor_prob,
                 photos=list_images(backgrounds_dir) if backgrounds_dir else None,
                 crops=load_logo_crops(logo_source) if logo_source else None)
    wrap = progress or (lambda it: it)
    if workers > 1:
        # 'spawn', not fork: a process that already runs threads (ONNX Runtime, a server, a
        # torch pool) can fork a child that deadlocks on a lock copied mid-use.
        ctx = multiprocessing.get_context('spawn')
        with ctx.Pool(workers, initializer=_init, initargs=(state, True)) as pool:
            results = list(wrap(pool.imap(make_image, range(num_images), chunksize=8)))
    else:
        _init(state)
        results = list(wrap(map(make_image, range(num_images))))
    images, annotations = [], []
    for entry, anns in results:
        images.append(entry)
        for a in anns:
            annotations.append(dict(id=len(annotations) + 1, **a))
    coco = dict(info=dict(description='Synthetic T-Bank logo dataset', seed=int(seed)),
                categories=CATEGORIES, images=images, annotations=annotations)
    ann_file = osp.join(out_dir, 'annotations.json')
    tmp = ann_file + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(coco, f)
    os.replace(tmp, ann_file)  # atomic: readers never see a half-written file
    buckets = {name: 0 for name, _ in BUCKETS}
    for a in annotations:
        buckets[a['size_bucket']] += 1
    positives = {a['image_id'] for a in annotations}
    return dict(out_dir=out_dir, annotation_file=ann_file, images=len(images),
                boxes=len(annotations), negatives=len(images) - len(positives),
                size_buckets=buckets, seconds=round(time.time() - t0, 2))

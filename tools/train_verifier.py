"""Train the Tinkoff verifier (a crop classifier for doubtful boxes) and export it to ONNX.

    python tools/train_verifier.py --out work_dirs/verifier [--real-root ../shared/data/real]

Crops: synthetic logos and look-alikes (old-Tinkoff-like coat of arms, other shields, bare T,
badges, wordmarks), the labelled boxes of the real photos, windows of the real photos away
from every label, and, with ``--predictions``, the detector's own boxes on the training
photos (its true and false positives). The real photos are split by photo (a hash of the
photo key, see ``projects/tbank_logo/verifier/real.py``): validation crops come from photos
never trained on, and ``tools/benchmark_verifier.py`` measures on those same photos.

Writes ``<out>/verifier.onnx`` and ``<out>/verifier.json`` (crop size, context, band,
threshold, the split, crop counts, validation numbers). Without the real photos it trains on
synthetic crops alone and says so.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _low(text):
    return None if text.lower() in ('none', 'thr') else float(text)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--out', default=osp.join(REPO, 'work_dirs', 'verifier'),
                   help='output folder (verifier.onnx + verifier.json)')
    p.add_argument('--real-root', default=osp.join(REPO, '..', 'shared', 'data', 'real'),
                   help='folder of <name>/annotations.json + <name>/images/ (skipped if absent)')
    p.add_argument('--synthetic', type=int, default=6000, help='synthetic training crops')
    p.add_argument('--synthetic-val', type=int, default=1000, help='synthetic validation crops')
    p.add_argument('--predictions',
                   help='detector predictions on the real photos (COCO results, image_id = '
                        'photo index; written by tools/benchmark_verifier.py '
                        '--save-predictions): adds its boxes as det:tp / det:fp crops')
    p.add_argument('--per-box', type=int, default=8, help='jittered crops per real logo box')
    p.add_argument('--negatives-per-photo', type=int, default=3,
                   help='random real windows per photo, away from labels')
    p.add_argument('--val-fraction', type=float, default=0.25, help='real photos held out')
    p.add_argument('--split-seed', type=int, default=0, help='seed of the photo split')
    g = p.add_argument_group('network and training')
    g.add_argument('--crop-size', type=int, default=64)
    g.add_argument('--context', type=float, default=0.2,
                   help='context around a box per side, as a fraction of its longer side')
    g.add_argument('--epochs', type=int, default=15)
    g.add_argument('--batch-size', type=int, default=128)
    g.add_argument('--lr', type=float, default=3e-3)
    g.add_argument('--threads', type=int, default=1,
                   help='torch CPU threads (a network this small trains fastest on one)')
    g.add_argument('--seed', type=int, default=0)
    g = p.add_argument_group('stored inference settings (LogoVerifier defaults)')
    g.add_argument('--band', nargs=2, type=str, default=('thr', '1.0'), metavar=('LOW', 'HIGH'),
                   help='detector scores the verifier examines; LOW "thr" = the score '
                        'threshold (it only drops boxes)')
    g.add_argument('--threshold', type=float, default=0.5,
                   help='a box is kept when the verifier gives it at least this')
    p.add_argument('--crops-cache', help='.npz of the built crops: loaded if it exists, else '
                                         'written (re-runs skip rendering and photo reading)')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def build_crops(args):
    """``(train, val, info)`` crop sets; ``info`` records what went in."""
    from projects.tbank_logo.verifier.data import CropSet, real_crops, synthetic_crops
    from projects.tbank_logo.verifier.real import (load_predictions, load_real_photos,
                                                   split_photos)
    kw = dict(context=args.context, size=args.crop_size, progress=not args.no_progress)
    train_sets = [synthetic_crops(args.synthetic, seed=args.seed, **kw)]
    val_sets = [synthetic_crops(args.synthetic_val, seed=args.seed + 10_000, **kw)]
    info = dict(real_root=None)
    if osp.isdir(args.real_root):
        photos = load_real_photos(args.real_root)
        train_photos, val_photos = split_photos(photos, args.val_fraction, args.split_seed)
        preds = load_predictions(args.predictions, photos) if args.predictions else None
        real_kw = dict(per_box=args.per_box, negatives_per_photo=args.negatives_per_photo, **kw)
        train_sets.append(real_crops(train_photos, seed=args.seed, predictions=preds,
                                     **real_kw))
        # Validation: one crop per box, no detector boxes (those belong to the benchmark).
        val_sets.append(real_crops(val_photos, seed=args.seed + 1, **dict(real_kw, per_box=2)))
        info = dict(real_root=osp.abspath(args.real_root), photos=len(photos),
                    train_photos=len(train_photos), val_photos=len(val_photos),
                    predictions=args.predictions)
    else:
        print(f'no real photos at {osp.abspath(args.real_root)}: synthetic crops only')
    return CropSet.concat(train_sets), CropSet.concat(val_sets), info


def load_or_build(args):
    import numpy as np
    from projects.tbank_logo.verifier.data import CropSet
    if args.crops_cache and osp.isfile(args.crops_cache):
        z = np.load(args.crops_cache, allow_pickle=False)
        print(f'crops from {args.crops_cache}')
        return (CropSet(z['train_images'], z['train_labels'], z['train_sources']),
                CropSet(z['val_images'], z['val_labels'], z['val_sources']),
                json.loads(str(z['info'])))
    train, val, info = build_crops(args)
    if args.crops_cache:
        os.makedirs(osp.dirname(osp.abspath(args.crops_cache)), exist_ok=True)
        np.savez(args.crops_cache, train_images=train.images, train_labels=train.labels,
                 train_sources=train.sources, val_images=val.images, val_labels=val.labels,
                 val_sources=val.sources, info=json.dumps(info))
    return train, val, info


def _fmt(v):
    return '-' if v is None else f'{v:.3f}'


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    train, val, info = load_or_build(args)
    print(f'train crops {train.counts()}\nval crops {val.counts()}')
    from mmdet_ext.environment import machine
    from projects.tbank_logo.verifier.train import (predict_probs, score_crops, train_verifier,
                                                    write_verifier)
    net, history = train_verifier(train, val, epochs=args.epochs, batch_size=args.batch_size,
                                  lr=args.lr, seed=args.seed, threads=args.threads)
    scores = score_crops(predict_probs(net, val.images), val, threshold=args.threshold)
    settings = dict(
        crop_size=args.crop_size, context=args.context, threshold=args.threshold,
        band=[_low(args.band[0]), float(args.band[1])],
        split=dict(val_fraction=args.val_fraction, seed=args.split_seed), data=info,
        train_crops=train.counts(), val_crops=val.counts(), val=scores, history=history,
        command='python tools/train_verifier.py ' + ' '.join(sys.argv[1:] if argv is None
                                                             else argv),
        machine=machine(),
        date=datetime.date.today().isoformat(),
        seconds=round(time.perf_counter() - start, 1))
    path = write_verifier(args.out, net, settings)
    print(f"\nvalidation at threshold {args.threshold} (real crops from held-out photos):")
    print('| set | crops | accuracy | AUC | logos kept | look-alikes rejected |')
    print('|---|---|---|---|---|---|')
    for name in ('all', 'real', 'synthetic'):
        r = scores[name]
        print(f"| {name} | {r['n']} | {_fmt(r['accuracy'])} | {_fmt(r['auc'])} | "
              f"{_fmt(r['pos_kept'])} | {_fmt(r['neg_rejected'])} |")
    for source, r in scores['by_source'].items():
        print(f"| {source} | {r['n']} | {_fmt(r['accuracy'])} | - | - | - |")
    print(f"wrote {path} and {osp.splitext(path)[0]}.json in {settings['seconds']:.0f} s")
    return 0


if __name__ == '__main__':
    sys.exit(main())

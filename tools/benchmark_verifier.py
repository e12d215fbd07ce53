"""Measure the Tinkoff verifier on the real photos: FP removed vs TP lost, F1 before/after.

    python tools/benchmark_verifier.py --verifier work_dirs/verifier/verifier.onnx \\
        --model work_dirs/demo/deploy/end2end.onnx            # or CHECKPOINT --config CONFIG
    python tools/benchmark_verifier.py --verifier V --predictions preds.json --score-thr 0.45

Detections come from running the detector as the service does (tiled or downscaled by image
size, ``ServiceSettings`` defaults) or from a predictions file (COCO results whose
``image_id`` is the photo index of ``projects/tbank_logo/verifier/real.py``, as
``--save-predictions`` writes them). By default only the photos the verifier was not trained
on are used: the validation side of the split stored in its JSON. Matching at IoU 0.5.

Writes ``benchmarks/verifier_real.md`` and ``.json`` (command, machine, date) and, for a
person to check, a contact sheet of the boxes the verifier drops (``--sheet``; it shows real
photos, so it goes to ``work_dirs/``, never into the repository). Skips (exit 0) when the
real photos are absent.
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


def _band(text):
    low, _, high = text.partition(':')
    return (None if low in ('thr', 'none', '') else float(low), float(high or 1.0))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n', 1)[1])
    p.add_argument('--verifier', required=True, help='verifier.onnx (its .json beside it)')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--model', help='detector: .onnx, .engine, or .pth with --config')
    src.add_argument('--predictions', help='COCO results over the real photos')
    p.add_argument('--config', help='detector config (for a .pth checkpoint)')
    p.add_argument('--real-root', default=osp.join(REPO, '..', 'shared', 'data', 'real'),
                   help='folder of <name>/annotations.json + <name>/images/ (default: %(default)s)')
    p.add_argument('--split', choices=('val', 'train', 'all'), default='val',
                   help="photos: the verifier's held-out ones (default), its training ones, "
                        'or every photo')
    p.add_argument('--score-thr', type=float,
                   help="the detector's answer threshold (default: the model's calibrated one; "
                        '0.25 with --predictions)')
    p.add_argument('--band', type=_band, metavar='LOW:HIGH',
                   help='verifier band, LOW "thr" = the score threshold (default: stored)')
    p.add_argument('--threshold', type=float, help='verifier threshold (default: stored)')
    p.add_argument('--sweep-thresholds', type=float, nargs='*', default=(0.3, 0.5, 0.7, 0.85))
    p.add_argument('--sweep-bands', type=_band, nargs='*', metavar='LOW:HIGH',
                   help='bands of the sweep table (default: thr:1, thr:0.7, and half the '
                        'score threshold:1, which also brings boxes back)')
    p.add_argument('--floor', type=float, default=0.05,
                   help='lowest detector score kept as a candidate')
    p.add_argument('--no-tile', action='store_true', help='never tile (faster, less faithful)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--limit', type=int, help='only the first N photos (quick checks)')
    p.add_argument('--save-predictions', help='write the detector candidates here (COCO '
                                              'results; reusable with --predictions and by '
                                              'tools/train_verifier.py --predictions)')
    p.add_argument('--sheet', default=osp.join(REPO, 'work_dirs', 'verifier', 'dropped.png'),
                   help='contact sheet of dropped boxes ("" for none)')
    p.add_argument('--out', default=osp.join(REPO, 'benchmarks', 'verifier_real'),
                   help='output path without extension (.md and .json)')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def detect_photos(args, photos):
    """``({photo index: Detections}, score_thr, seconds per photo)`` from the detector."""
    from tqdm import tqdm

    from mmdet_ext.inference import Detector
    from projects.tbank_logo.service.pipeline import clip_boxes, predict_candidates
    from projects.tbank_logo.service.settings import ServiceSettings
    from projects.tbank_logo.verifier.data import read_photo
    detector = Detector(args.model, config=args.config, device=args.device,
                        score_thr=args.score_thr)
    settings = ServiceSettings(tile_min_side=0 if args.no_tile else None)
    preds, start = {}, time.perf_counter()
    for photo in tqdm(photos, desc='detector', disable=args.no_progress):
        image = read_photo(photo)
        if image is None:
            print(f'skipped unreadable {photo.path}')
            continue
        dets, _ = predict_candidates(detector, image, settings, args.floor)
        preds[photo.index] = clip_boxes(dets, photo.width, photo.height)
    return preds, detector.score_thr, (time.perf_counter() - start) / max(len(photos), 1)


def contact_sheet(path, dropped, photos_by_key, size=96, cols=10):
    """Crops of the dropped boxes (red border: matched a label; grey: counted as FP)."""
    import cv2
    import numpy as np

    from projects.tbank_logo.verifier.crops import crop_with_context
    from projects.tbank_logo.verifier.data import read_photo
    tiles = []
    for cand, box, score, prob, was_tp in dropped[:200]:
        image = read_photo(photos_by_key[cand.key])
        tile = crop_with_context(image, box, 0.3, size)
        cv2.rectangle(tile, (0, 0), (size - 1, size - 1), (0, 0, 255) if was_tp else
                      (128, 128, 128), 2)
        cv2.putText(tile, f'{score:.2f}/{prob:.2f}', (3, size - 5), cv2.FONT_HERSHEY_SIMPLEX,
                    0.35, (0, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    if not tiles:
        return None
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % cols)
    rows = [np.hstack(tiles[i:i + cols]) for i in range(0, len(tiles), cols)]
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    cv2.imwrite(path, np.vstack(rows))
    return path


def _band_str(band, score_thr):
    low = f'thr ({score_thr:.2f})' if band[0] is None else f'{band[0]:.2f}'
    return f'[{low}, {band[1]:.2f}]'


def write_report(args, meta, main_row, sweep):
    def row(r, label):
        b, a = r['before'], r['after']
        return (f"| {label} | {r['asked']} | {r['fp_removed']} | {r['tp_lost']} | "
                f"{r['added_tp']} / {r['added_fp']} | {b['fp']} → {a['fp']} | "
                f"{b['tp']} → {a['tp']} | {b['precision']:.3f} → {a['precision']:.3f} | "
                f"{b['recall']:.3f} → {a['recall']:.3f} | **{b['f1']:.3f} → {a['f1']:.3f}** | "
                f"{r['negatives_with_fp_before']} → {r['negatives_with_fp_after']} |")
    header = ('| band, threshold | boxes asked | FP removed | TP lost | brought back TP / FP | '
              'FP | TP | precision | recall | F1 | negative photos with a box |\n'
              '|---|---|---|---|---|---|---|---|---|---|---|')
    thr = meta['score_thr']
    lines = [row(main_row, f"{_band_str(main_row['band'], thr)}, {main_row['threshold']:.2f} "
                           '(stored)')]
    lines += [row(r, f"{_band_str(r['band'], thr)}, {r['threshold']:.2f}") for r in sweep]
    md = (f"# Verifier on the real photos\n\n`{meta['command']}`\n\n"
          f"Machine: {meta['machine']}; date: {meta['date']}.\n\n"
          f"Detector: `{meta['detector']}`, answer threshold {thr:.3f}; verifier: "
          f"`{meta['verifier']}`. Photos: {meta['photos']} ({meta['split']} side of the "
          f"verifier's split: never trained on), {meta['boxes']} labelled boxes, "
          f"{meta['negative_photos']} photos without a logo; IoU 0.5. Verifier time: "
          f"{meta['verifier_ms_per_box']:.2f} ms per box (crop + network, batched per photo)."
          f"\n\nVerifier trained by `{meta['verifier_trained_by']}`.\n\n"
          f"{header}\n" + '\n'.join(lines) + '\n\n'
          '"FP removed" / "TP lost": answered boxes (score >= threshold) the verifier drops, '
          'by their match before it. "Brought back": boxes under the threshold that a band '
          'reaching below it accepts. The labels miss some small logos, so a removed "FP" can '
          'be a real logo: look at the contact sheet before trusting the FP count.\n')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out + '.md', 'w', encoding='utf-8') as f:
        f.write(md)
    with open(args.out + '.json', 'w', encoding='utf-8') as f:
        json.dump(dict(meta, stored=main_row, sweep=sweep), f, indent=2)
    print(md)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isdir(args.real_root):
        print(f'skipped: no real photo folder at {osp.abspath(args.real_root)} '
              '(pass --real-root)')
        return 0
    from mmdet_ext.environment import machine
    from projects.tbank_logo.verifier import LogoVerifier
    from projects.tbank_logo.verifier.effect import (collect_candidates, dropped_boxes,
                                                     verifier_effect)
    from projects.tbank_logo.verifier.real import (load_predictions, load_real_photos,
                                                   save_predictions, split_photos)
    from projects.tbank_logo.verifier.verifier import read_settings
    verifier = LogoVerifier(args.verifier, band=args.band, threshold=args.threshold)
    split = read_settings(args.verifier).get('split', {})
    photos = load_real_photos(args.real_root)
    train, val = split_photos(photos, split.get('val_fraction', 0.25), split.get('seed', 0))
    photos = dict(val=val, train=train, all=photos)[args.split][:args.limit]

    seconds_per_photo = None
    if args.model:
        preds, score_thr, seconds_per_photo = detect_photos(args, photos)
        score_thr = score_thr if args.score_thr is None else args.score_thr
    else:
        preds = load_predictions(args.predictions, photos)
        score_thr = 0.25 if args.score_thr is None else args.score_thr
    if args.save_predictions:
        save_predictions(args.save_predictions, photos, preds)
    floor = min([args.floor, score_thr] + [b[0] for b in (args.sweep_bands or [])
                                           if b[0] is not None])
    cands = collect_candidates(photos, preds, verifier, floor, progress=not args.no_progress)
    n_boxes = sum(len(c.scores) for c in cands)
    ms_per_box = 1000 * sum(c.verifier_s for c in cands) / max(n_boxes, 1)

    main_row = verifier_effect(cands, score_thr, verifier.band, verifier.threshold)
    bands = args.sweep_bands or [(None, 1.0), (None, 0.7), (round(score_thr / 2, 2), 1.0)]
    sweep = [verifier_effect(cands, score_thr, b, t) for b in bands
             for t in args.sweep_thresholds]
    meta = dict(
        command='python tools/benchmark_verifier.py ' + ' '.join(sys.argv[1:] if argv is None
                                                                 else argv),
        machine=f'{machine()}, {args.device}',
        date=datetime.date.today().isoformat(), detector=args.model or args.predictions,
        verifier=args.verifier, split=args.split, photos=len(cands),
        boxes=int(sum(len(c.gt_boxes) for c in cands)),
        negative_photos=sum(1 for c in cands if not len(c.gt_boxes)), score_thr=score_thr,
        detector_s_per_photo=seconds_per_photo, verifier_ms_per_box=ms_per_box,
        candidates=n_boxes, tiled=not args.no_tile,
        verifier_trained_by=read_settings(args.verifier).get('command', 'unknown'))
    if args.sheet:
        by_key = {p.key: p for p in photos}
        dropped = dropped_boxes(cands, score_thr, verifier.band, verifier.threshold)
        sheet = contact_sheet(args.sheet, dropped, by_key)
        meta['sheet'] = sheet and osp.relpath(sheet, REPO)
    write_report(args, meta, main_row, sweep)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Evaluate a checkpoint on the real, hand-labelled photo folders and write a table.

    python tools/benchmark_real.py CONFIG CHECKPOINT [--real-root ../shared/data/real]

Each folder (``<root>/<name>/annotations.json`` + ``images/``) is scored at the photos' own
sizes; the "all" row pools the folders after removing photos that appear in several of them
(same 32-hex file-name prefix). ``--split val.json`` (a split of the folders merged by
``tools/data/merge_coco.py``) keeps only that split's photos, at their original size, in every
folder: the held-out score of a model trained on the other split. Writes
``benchmarks/real_photos.md`` and ``.json``. Skips with a clear message (exit 0) when the folder
is absent: the photos are not part of the repository.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint on the real photos.',
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--real-root', default=osp.join(REPO, '..', 'shared', 'data', 'real'),
                        help='folder of <name>/annotations.json + <name>/images/')
    parser.add_argument('--score-thr', type=float, default=None,
                        help='fixed operating point (default: score_threshold.json beside the '
                        'checkpoint if present, else the config\'s metric threshold)')
    parser.add_argument('--out', default=osp.join(REPO, 'benchmarks', 'real_photos'),
                        help='output path without extension (.md and .json are written)')
    parser.add_argument('--limit', type=int, help='only the first N images of each folder')
    parser.add_argument('--split', default=None,
                        help='COCO json of merged photos (with source / original_file_name / '
                        'photo_id fields): evaluate only these photos')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--tile-size', type=int, default=None,
                        help='tiled inference: overlapping tiles of this size (the model input '
                        'size is a good value) plus a downscaled full-image pass')
    parser.add_argument('--tile-max-side', type=int, default=None,
                        help='shrink larger photos to this long side before tiling')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isdir(args.real_root):
        print(f'skipped: no real photo folder at {osp.abspath(args.real_root)} '
              '(pass --real-root)')
        return 0
    import mmdet_ext.components  # noqa: F401
    import projects.tbank_logo.components  # noqa: F401
    from mmdet_ext.data_tools.coco_io import group_key_from_name, subset_coco
    from mmdet_ext.evaluation import evaluate_detections
    from mmdet_ext.inference import predict_coco
    from mmengine.config import Config

    cfg = Config.fromfile(args.config)
    score_thr = args.score_thr
    calib = osp.join(osp.dirname(args.checkpoint), 'score_threshold.json')
    if score_thr is None and osp.exists(calib):
        score_thr = json.load(open(calib))['score_thr']
    if score_thr is None:
        score_thr = cfg.test_evaluator.get('score_thr', 0.25)
    predict = make_predict(cfg, args)

    keep = split_filter(args.split) if args.split else None
    rows, pooled, seen = {}, [], set()
    for name in sorted(os.listdir(args.real_root)):
        ann = osp.join(args.real_root, name, 'annotations.json')
        if not osp.exists(ann):
            continue
        coco = json.load(open(ann))
        if keep:
            coco = subset_coco(coco, lambda im: keep(name, im))
        if not coco['images']:
            continue
        results = predict_coco(predict, coco, osp.join(args.real_root, name, 'images'),
                               limit=args.limit)
        rows[name] = evaluate_detections(results, score_thr=score_thr)
        for res in results:
            key = group_key_from_name(res['img_path']) or res['img_path']
            if key not in seen:
                seen.add(key)
                pooled.append(dict(res, img_id=len(pooled) + 1))
    rows['all (deduplicated)'] = evaluate_detections(pooled, score_thr=score_thr)
    write_tables(rows, args, score_thr)
    return 0


def split_filter(split_json):
    """``(folder, image entry) -> bool``: is the image one of the photos of ``split_json``?

    A photo is matched by its merged entry's source folder and original file name, or by its
    32-hex photo key, so the copies of a split photo in other folders count too.
    """
    from mmdet_ext.data_tools.coco_io import group_key_from_name
    photos = [(im.get('source'), im.get('original_file_name', im['file_name']))
              for im in json.load(open(split_json))['images']]
    files = set(photos)
    keys = {group_key_from_name(name) for _, name in photos} - {None}
    return lambda folder, im: ((folder, im['file_name']) in files
                               or group_key_from_name(im['file_name']) in keys)


def make_predict(cfg, args):
    """image path -> unthresholded Detections, in one pass or tiled."""
    import cv2

    from mmdet_ext.inference import Detector, tiled_predict
    detector = Detector(args.checkpoint, config=cfg, device=args.device)
    if args.tile_size is None:
        return lambda path: detector.predict_raw(cv2.imread(path))
    return lambda path: tiled_predict(detector.predict_batch_raw, cv2.imread(path),
                                      tile_size=args.tile_size, max_side=args.tile_max_side)


def write_tables(rows, args, score_thr) -> None:
    from mmdet_ext.environment import machine
    meta = dict(command='python tools/benchmark_real.py ' + ' '.join(sys.argv[1:]),
                config=args.config, checkpoint=args.checkpoint, score_thr=score_thr,
                machine=f'{machine()}, {args.device}',
                date=datetime.date.today().isoformat())
    header = ('| set | images | boxes | P | R | F1 | mAP@0.5 | mAP@0.5:0.95 | best F1 (thr) | '
              'FP / negative image |\n|---|---|---|---|---|---|---|---|---|---|')
    lines = []
    for name, r in rows.items():
        s = r['summary']
        lines.append(f"| {name} | {r['num_images']} | {s['tp'] + s['fn']} | {s['precision']:.3f} | "
                     f"{s['recall']:.3f} | {s['f1']:.3f} | {s['mAP50']:.3f} | {s['mAP']:.3f} | "
                     f"{s['best_f1']:.3f} ({s['best_thr']:.2f}) | {s['fp_per_neg_image']:.3f} |")
    mode = (f'tiled inference, {args.tile_size} px tiles + full-image pass' if args.tile_size
            else 'one pass per photo')
    if args.split:
        mode += f'; only the photos of {osp.relpath(args.split, REPO)}'
    md = (f"# Real-photo benchmark ({mode})\n\n`{meta['command']}`\n\n"
          f"Machine: {meta['machine']}; date: {meta['date']}; score threshold {score_thr:.3f}, "
          f"IoU 0.5.\n\n{header}\n" + '\n'.join(lines) + '\n')
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out + '.md', 'w', encoding='utf-8') as f:
        f.write(md)
    with open(args.out + '.json', 'w', encoding='utf-8') as f:
        sets = {k: dict(summary=v['summary'], by_size=v['by_size'], num_images=v['num_images'])
                for k, v in rows.items()}
        json.dump(dict(meta, mode=mode, sets=sets), f, indent=2)
    print(md)


if __name__ == '__main__':
    sys.exit(main())

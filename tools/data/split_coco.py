"""Split a COCO file into train.json / val.json, or into K folds (group-aware, stratified, seeded).

Examples: python tools/data/split_coco.py data/synthetic_demo/annotations.json \
    --out-dir data/synthetic_demo --val-fraction 0.1 --seed 0
python tools/data/split_coco.py data/real_1280/annotations.json --out-dir data/real_1280 --folds 5
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # repo root, for mmdet_ext

from mmdet_ext.data_tools import (count_summary, kfold_coco, load_coco, save_coco,  # noqa: E402
                                  split_coco)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Split a COCO file into OUT_DIR/train.json and OUT_DIR/val.json. '
        'file_name values are unchanged, so put OUT_DIR next to the images folder the '
        'input refers to. Copies of one photo (photo_id field, else 32-hex file-name '
        'prefix) stay on one side; strata: negative / size of the smallest box.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('ann', help='COCO JSON file')
    parser.add_argument('--out-dir', required=True, help='folder for train.json and val.json')
    parser.add_argument('--val-fraction', type=float, default=0.1,
                        help='fraction of photo groups for val')
    parser.add_argument('--folds', type=int, help='instead: K folds, written as '
                        'fold<i>_train.json / fold<i>_val.json (fold i held out) for each i; '
                        'fold 0 is the val.json of --val-fraction 1/K with the same seed')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--group-key', default='photo_id', help='image field naming a group')
    args = parser.parse_args(argv)
    try:
        coco = load_coco(args.ann)
        if args.folds:
            pairs = kfold_coco(coco, args.folds, args.seed, args.group_key)
        else:
            pairs = [split_coco(coco, args.val_fraction, args.seed, args.group_key)]
        prefixes = [f'fold{i}_' for i in range(len(pairs))] if args.folds else ['']
        parts = {f'{prefix}{side}': part for prefix, pair in zip(prefixes, pairs)
                 for side, part in zip(('train', 'val'), pair)}
        for name, part in parts.items():
            save_coco(part, Path(args.out_dir) / f'{name}.json')
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    for name, part in parts.items():
        s = count_summary(part)
        print(f'{name}: {s["images"]} images ({s["positives"]} with boxes, {s["negatives"]} '
              f'negatives), {s["boxes"]} boxes -> {Path(args.out_dir) / (name + ".json")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

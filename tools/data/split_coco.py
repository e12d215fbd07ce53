"""Split a COCO file into train.json / val.json (group-aware, stratified, seeded).

Example: python tools/data/split_coco.py data/synthetic_demo/annotations.json \
    --out-dir data/synthetic_demo --val-fraction 0.1 --seed 0
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # repo root, for mmdet_ext

from mmdet_ext.data_tools import count_summary, load_coco, save_coco, split_coco  # noqa: E402


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
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--group-key', default='photo_id', help='image field naming a group')
    args = parser.parse_args(argv)
    try:
        train, val = split_coco(load_coco(args.ann), args.val_fraction, args.seed,
                                args.group_key)
        for name, part in (('train', train), ('val', val)):
            save_coco(part, Path(args.out_dir) / f'{name}.json')
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    for name, part in (('train', train), ('val', val)):
        s = count_summary(part)
        print(f'{name}: {s["images"]} images ({s["positives"]} with boxes, {s["negatives"]} '
              f'negatives), {s["boxes"]} boxes -> {Path(args.out_dir) / (name + ".json")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

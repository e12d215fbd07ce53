"""Merge COCO datasets into one folder, dropping duplicate photos (dHash + file-name key).

Example:
  python tools/data/merge_coco.py --src data/a --src b/ann.json:b/imgs --out-dir data/merged \
      --group-regex '^([0-9a-f]{32})'
"""
import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # repo root, for mmdet_ext

from mmdet_ext.data_tools import merge_coco  # noqa: E402
from mmdet_ext.data_tools.merge import DEFAULT_HASH_THRESHOLD  # noqa: E402


def parse_src(spec: str):
    """ANN.json:IMAGES_DIR -> the pair; DATASET_DIR -> (annotations.json, images/)."""
    m = re.fullmatch(r'(.+?\.json):(.+)', spec)
    if m:
        return Path(m.group(1)), Path(m.group(2))
    root = Path(spec)
    if not root.is_dir():
        raise ValueError(f'--src {spec!r}: expected ANN.json:IMAGES_DIR or a dataset folder')
    return root / 'annotations.json', root / 'images'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Merge COCO datasets into OUT_DIR/images + OUT_DIR/annotations.json. '
        'Copies of one photo (re-encoded or resized, found by a 64-bit dHash, identical '
        'bytes, or an equal --group-regex key) are kept once: the copy with most boxes, '
        'then highest resolution.', formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--src', action='append', required=True,
                        help='ANN.json:IMAGES_DIR, or DATASET_DIR holding annotations.json '
                        'and images/ (repeat for each source)')
    parser.add_argument('--out-dir', required=True, help='output dataset folder')
    parser.add_argument('--no-dedupe', action='store_true',
                        help='keep every copy (they still share photo_id)')
    parser.add_argument('--group-regex', default=None,
                        help="file-name regex whose first group is a photo id, e.g. "
                        "'^([0-9a-f]{32})'")
    parser.add_argument('--hash-threshold', type=int, default=DEFAULT_HASH_THRESHOLD,
                        help='max dHash Hamming distance (of 64 bits) for one photo')
    parser.add_argument('--max-side', type=int, default=None,
                        help='write images with a longer side downscaled to this many pixels '
                        '(boxes scaled alike)')
    parser.add_argument('--min-side', type=int, default=0,
                        help='leave out images with a side shorter than this many pixels '
                        '(a training set: a 1-pixel image crashes resizing augmentations)')
    args = parser.parse_args(argv)
    try:
        if args.group_regex:
            re.compile(args.group_regex)
        sources = [parse_src(s) for s in args.src]
        s = merge_coco(sources, args.out_dir, dedupe=not args.no_dedupe,
                       group_regex=args.group_regex, hash_threshold=args.hash_threshold,
                       max_side=args.max_side, min_side=args.min_side)
    except (OSError, ValueError, KeyError, TypeError, re.error) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    for name, c in s['per_source'].items():
        print(f'  {name}: {c["images_in"]} in, {c["images_out"]} kept')
    print(f'merged {s["images_in"]} images -> {s["images_out"]} '
          f'({s["duplicates_dropped"]} duplicates dropped, {s["duplicate_groups"]} photos '
          f'with copies), {s["annotations_out"]} boxes -> {args.out_dir}')
    if s['missing_files']:
        print(f'warning: {len(s["missing_files"])} image file(s) not found, skipped, e.g. '
              f'{s["missing_files"][0]}', file=sys.stderr)
    if s['too_small']:
        print(f'warning: {len(s["too_small"])} image(s) with a side under {args.min_side} px '
              f'left out, e.g. {", ".join(s["too_small"][:3])}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())

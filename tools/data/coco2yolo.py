"""Convert a COCO JSON file to YOLO txt labels (one file per image, empty for negatives).

Example: python tools/data/coco2yolo.py ann.json --out-labels labels/
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # repo root, for mmdet_ext

from mmdet_ext.data_tools import coco_to_yolo, load_coco  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Convert COCO JSON to YOLO txt labels. Class index i is the i-th '
        'category sorted by id.', formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('ann', help='COCO JSON file')
    parser.add_argument('--out-labels', required=True, help='output folder for .txt files')
    args = parser.parse_args(argv)
    try:
        n = coco_to_yolo(load_coco(args.ann), args.out_labels)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f'error: {args.ann}: {e}', file=sys.stderr)
        return 1
    print(f'wrote {n} label files to {args.out_labels}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

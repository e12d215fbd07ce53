"""Check a COCO detection file (and optionally its images) for broken entries.

Example: python tools/data/validate_coco.py ann.json --images-dir images/
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # repo root, for mmdet_ext

from mmdet_ext.data_tools import (CocoFormatError, count_summary, format_report,  # noqa: E402
                                  validate_coco)
from mmdet_ext.data_tools.coco_io import load_coco  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Validate a COCO file: boxes outside the image or with non-positive '
        'size, NaN/non-numeric boxes, unknown category or image ids, duplicate ids; with '
        '--images-dir also missing files and width/height mismatches. Exit 0 if clean, '
        '1 otherwise.', formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('ann', help='COCO JSON file')
    parser.add_argument('--images-dir', default=None,
                        help='folder file_name is relative to (enables file checks)')
    args = parser.parse_args(argv)
    try:
        coco = load_coco(args.ann)
        problems = validate_coco(coco, args.images_dir)
    except CocoFormatError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    if problems:
        print(format_report(problems))
        return 1
    s = count_summary(coco)
    print(f'OK: {s["images"]} images, {s["boxes"]} boxes')
    return 0


if __name__ == '__main__':
    sys.exit(main())

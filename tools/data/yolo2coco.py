"""Convert YOLO txt labels to one COCO JSON file.

Example: python tools/data/yolo2coco.py images/ labels/ --classes tbank_logo --out ann.json
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # repo root, for mmdet_ext

from mmdet_ext.data_tools import count_summary, save_coco, yolo_to_coco  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Convert YOLO labels (cls cx cy w h, normalised) to COCO JSON. Images '
        'without a label file or with an empty one are kept as negatives.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('images_dir', help='folder with images (scanned recursively)')
    parser.add_argument('labels_dir', help='folder with <image path>.txt label files')
    parser.add_argument('--classes', nargs='+', required=True,
                        help='class names for indices 0..K-1 (COCO ids 1..K)')
    parser.add_argument('--out', required=True, help='output COCO JSON path')
    args = parser.parse_args(argv)
    try:
        coco = yolo_to_coco(args.images_dir, args.labels_dir, args.classes)
        save_coco(coco, args.out)
    except (OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    s = count_summary(coco)
    print(f'wrote {args.out}: {s["images"]} images ({s["negatives"]} negatives), '
          f'{s["boxes"]} boxes')
    return 0


if __name__ == '__main__':
    sys.exit(main())

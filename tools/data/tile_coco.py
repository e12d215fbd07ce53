"""Cut a COCO dataset into overlapping tiles (small objects keep their pixels).

Example: python tools/data/tile_coco.py data/real/annotations.json --images-dir data/real/images \
    --out-dir data/real_tiles --tile-size 640 --stride 480 --keep-empty 0.2
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # repo root, for mmdet_ext

from mmdet_ext.data_tools.coco_io import load_coco  # noqa: E402
from mmdet_ext.data_tools.tile import tile_coco, tile_summary  # noqa: E402


def _keep_empty(value: str):
    """``all`` / ``none`` / a fraction in [0, 1]."""
    named = {'all': True, 'none': False}
    if value.lower() in named:
        return named[value.lower()]
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected all, none or a fraction, got {value!r}')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Cut every image into overlapping square tiles. Writes the tiles to '
        'OUT_DIR/images/ and OUT_DIR/annotations.json, whose images carry tile_offset [x, y], '
        'source_image_id and source_file_name and whose annotations carry the tile-local bbox '
        'and the source-image global_bbox. The last tile of a row/column is flush with the '
        'border; neighbours overlap by at least tile-size - stride pixels.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('ann', help='COCO JSON file')
    parser.add_argument('--images-dir', required=True, help='folder file_name is relative to')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--tile-size', type=int, default=640, help='tile side in pixels')
    parser.add_argument('--stride', type=int, default=None,
                        help='largest step between tiles (unset: 3/4 of --tile-size)')
    parser.add_argument('--min-visible', type=float, default=0.6,
                        help='fraction of a cut box that must be inside a tile to keep it')
    parser.add_argument('--keep-empty', type=_keep_empty, default='all',
                        help='tiles without boxes to keep: all, none or a fraction')
    parser.add_argument('--seed', type=int, default=0, help='seed for a --keep-empty fraction')
    args = parser.parse_args(argv)
    try:
        tiled = tile_coco(load_coco(args.ann), args.images_dir, args.out_dir, args.tile_size,
                          args.stride, args.min_visible, args.keep_empty, args.seed,
                          progress=True)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    s = tile_summary(tiled)
    print(f'{s["tiles"]} tiles from {s["sources"]} images ({s["empty_tiles"]} without boxes), '
          f'{s["boxes"]} boxes -> {Path(args.out_dir) / "annotations.json"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

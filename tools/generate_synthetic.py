"""Generate the synthetic T-Bank logo dataset (COCO): ``python tools/generate_synthetic.py
--out data/synth --num-images 1500``."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone

import argparse  # noqa: E402
from functools import partial  # noqa: E402

from tqdm import tqdm  # noqa: E402

from projects.tbank_logo.synthetic import generate_dataset  # noqa: E402


def _size(text):
    w, _, h = text.lower().partition('x')
    return int(w) if not h else (int(w), int(h))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Generate a synthetic T-Bank logo dataset.',
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--out', required=True, help='output folder (images/ + annotations.json)')
    p.add_argument('--num-images', type=int, default=1500, help='images to generate')
    p.add_argument('--img-size', type=_size, default=320, help='N or WxH')
    p.add_argument('--seed', type=int, default=0, help='same seed, same dataset')
    p.add_argument('--min-box', type=float, default=8, help='smallest logo side, px')
    p.add_argument('--max-box-frac', type=float, default=0.5,
                   help='largest logo side as a fraction of the image side')
    p.add_argument('--negative-fraction', type=float, default=0.15,
                   help='share of images without any logo')
    p.add_argument('--max-logos', type=int, default=3, help='most logos in one image')
    p.add_argument('--distractor-prob', type=float, default=0.5,
                   help='chance of look-alike negatives (bare T, other shields, wordmarks)')
    p.add_argument('--backgrounds', default=None, help='folder of background photos')
    p.add_argument('--logo-source', default=None,
                   help='COCO json whose boxes are copy-pasted as extra logos')
    p.add_argument('--workers', type=int, default=1, help='processes (output is the same)')
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    s = generate_dataset(a.out, a.num_images, img_size=a.img_size, seed=a.seed,
                         min_box=a.min_box, max_box_frac=a.max_box_frac,
                         negative_fraction=a.negative_fraction, max_logos=a.max_logos,
                         distractor_prob=a.distractor_prob, backgrounds_dir=a.backgrounds,
                         logo_source=a.logo_source, workers=a.workers,
                         progress=partial(tqdm, total=a.num_images, desc='synth', leave=False))
    buckets = ' '.join(f'{k}={v}' for k, v in s['size_buckets'].items())
    print(f"{s['images']} images, {s['boxes']} boxes, {s['negatives']} negatives "
          f"({buckets}) in {s['seconds']:.1f}s -> {s['annotation_file']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())

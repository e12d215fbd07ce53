"""Detect T-Bank logos in photos: ``python tools/predict.py SOURCE... [--out DIR]``.

SOURCE is an image file, a folder (its images) or a glob pattern (quoted: ``'photos/**/*.jpg'``).
By default the release in ``weights/`` is used, at its threshold and on its inference path,
the same code as the service's ``POST /detect`` (``projects.tbank_logo.predict``). For each
image it writes ``OUT/NAME.json`` (the service's answer: boxes in pixels of the upright image,
scores, the path taken) and ``OUT/NAME.jpg`` (the image with the boxes drawn), then prints a
one-line summary. An unreadable, unsupported or missing input is reported on one line naming it,
and the run goes on with the rest (exit status 1 if any was skipped).
"""
import argparse
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from projects.tbank_logo.models import RELEASE_DIR, ModelChoice  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('sources', nargs='+', metavar='SOURCE', help='image files, folders, globs')
    p.add_argument('--out', default='predictions', help='folder for the annotated images and JSON')
    p.add_argument('--model', action='append', default=[],
                   help='.onnx, .engine or .pth (with --config) instead of the release; '
                        'repeated: an ensemble (needs --score-thr)')
    p.add_argument('--config', action='append', help='config of a .pth model, one per --model')
    p.add_argument('--release', default=RELEASE_DIR, help='release folder used without --model')
    p.add_argument('--score-thr', type=float,
                   help="keep boxes scored at least this (default: the release's, or the "
                        "model's calibrated one)")
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda[:N]'")
    p.add_argument('--json', action='store_true',
                   help='also print each answer to stdout, one JSON object a line')
    p.add_argument('--no-draw', action='store_true', help='write the JSON only')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    choice = ModelChoice(models=args.model, configs=args.config or [],
                         release_dir=args.release, score_thr=args.score_thr)
    problem = choice.problem()
    if problem:
        print(f'error: {problem}', file=sys.stderr)
        return 2
    import json

    from tqdm import tqdm

    from projects.tbank_logo.predict import (describe_error, output_stem, predict_file,
                                             resolve_sources, write_outputs)
    from projects.tbank_logo.service import ServiceSettings
    files, skipped = resolve_sources(args.sources)
    for source, why in skipped:
        print(f'skipped {source}: {why}', file=sys.stderr)
    start = time.perf_counter()
    try:
        detector = choice.load(args.device)
    except (OSError, ValueError) as e:  # a changed release file, a broken model
        print(f'error: {e}', file=sys.stderr)
        return 2
    loaded = time.perf_counter()
    settings = ServiceSettings(stretch=choice.default_stretch())
    score_thr = float(detector.score_thr)
    os.makedirs(args.out, exist_ok=True)
    taken, logos, with_logo, done = set(), 0, 0, 0
    for path in tqdm(files, desc='predict', unit='img', disable=len(files) < 2):
        try:
            image, answer = predict_file(detector, path, settings, score_thr)
            write_outputs(args.out, output_stem(path, taken), image, answer, not args.no_draw)
        except Exception as e:  # one bad input must not end the run
            tqdm.write(f'skipped {path}: {describe_error(e)}', file=sys.stderr)
            skipped.append((path, e))
            continue
        done += 1
        logos += len(answer['detections'])
        with_logo += bool(answer['detections'])
        if args.json:
            tqdm.write(json.dumps(answer), file=sys.stdout)
    seconds = time.perf_counter() - start
    info = getattr(detector, 'release_info', {}) or {}
    per_image = (time.perf_counter() - loaded) / done * 1000 if done else 0.0
    print(f"{done} image(s) predicted, {logos} logo(s) found in {with_logo}, {len(skipped)} "
          f"input(s) skipped; {seconds:.1f} s ({per_image:.0f} ms an image after loading "
          f"{info.get('model')}{' release ' + info['release'] if info.get('release') else ''}"
          f" at score >= {score_thr:.3f}); results in {args.out}/", file=sys.stderr)
    return 1 if skipped else 0


if __name__ == '__main__':
    sys.exit(main())

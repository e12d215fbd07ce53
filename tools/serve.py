"""Serve the logo detector over HTTP: ``python tools/serve.py [--model MODEL] [--port 8000]``.

Without ``--model`` it serves the release in ``weights/`` (``--release DIR`` for another): its
members at the threshold and on the path its ``ensemble.json`` states, each file checked
against the sha256 in its ``manifest.json``. MODEL is a ``.pth`` checkpoint (with
``--config``), an ``.onnx`` file or a TensorRT ``.engine`` (see
``mmdet_ext.inference.Detector``); ``--model`` given more than once serves an ensemble of those
models (``mmdet_ext.inference.Ensemble``: each runs on its own path, their boxes fused; it needs
``--score-thr``, calibrated on fused scores). ``--model fake`` serves a model-free stand-in that
boxes the darkest rectangle, for checking the plumbing. The model loads in the background:
``GET /health`` answers 503 until it is ready, then names the model and the release version.
API docs at ``/docs``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a clone

from projects.tbank_logo.models import RELEASE_DIR, ModelChoice  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--model', action='append', default=[],
                   help='checkpoint, .onnx, .engine, or "fake"; repeated: an ensemble '
                        '(default: the release, --release)')
    p.add_argument('--release', default=RELEASE_DIR,
                   help='release folder served when no --model is given')
    p.add_argument('--config', action='append',
                   help='model config (needed for a .pth checkpoint); with several --model, '
                        'none or one per model, in their order')
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda[:N]'")
    p.add_argument('--host', default='127.0.0.1', help='0.0.0.0 to listen on every interface')
    p.add_argument('--port', type=int, default=8000)
    p.add_argument('--score-thr', type=float,
                   help="answer threshold (default: the model's calibrated one, else 0.25)")
    g = p.add_argument_group('limits')
    g.add_argument('--timeout', type=float, default=8.0,
                   help='per-image timeout in seconds (504 past it)')
    g.add_argument('--worker-threads', type=int, default=1, help='images processed at once')
    g.add_argument('--queue', type=int, default=8, help='images waiting at most (503 past it)')
    g.add_argument('--max-upload-mb', type=float, default=20.0, help='413 above')
    g.add_argument('--max-megapixels', type=float, default=40.0, help='413 above')
    g.add_argument('--max-jpeg-scans', type=int, default=100,
                   help='422 above (each progressive scan is a pass over the whole image)')
    g = p.add_argument_group('inference path')
    g.add_argument('--tile-size', type=int,
                   help="tile side (default: the model's inference_tile_size, from its config or "
                        'export sidecar, else the network input; a smaller tile is enlarged to '
                        'it)')
    g.add_argument('--tile-min-side', type=int,
                   help='tile images whose longer side exceeds this (default: 2x the tile '
                        'size; 0: never tile)')
    g.add_argument('--tile-max-side', type=int,
                   help='downscale larger images to this longer side before tiling (default: '
                        '4x the tile size)')
    g.add_argument('--resize-max-side', type=int, default=1600,
                   help='downscale untiled images to this longer side')
    stretch = g.add_mutually_exclusive_group()
    stretch.add_argument('--stretch', type=float,
                         help='also detect untiled images stretched this many times wide and as '
                              'many times tall, for logos squashed with their photo (3 passes, '
                              "not 1; default: the release's (as its threshold was chosen); "
                              "the service's, 2, for one --model; none for an ensemble of "
                              '--model, whose --score-thr was calibrated without them)')
    stretch.add_argument('--no-stretch', action='store_true',
                         help='one pass for untiled images')
    g = p.add_argument_group('retrain pool')
    g.add_argument('--retrain-dir', help='save uncertain images and predictions here')
    g.add_argument('--retrain-band', type=float, nargs=2, default=(0.2, 0.6),
                   metavar=('LOW', 'HIGH'), help='top scores counted as uncertain')
    g.add_argument('--retrain-max-files', type=int, default=10_000)
    g.add_argument('--retrain-max-mb', type=float, default=2048.0)
    g = p.add_argument_group('verifier (a second stage for doubtful boxes)')
    g.add_argument('--verifier', help='verifier.onnx from tools/train_verifier.py')
    g.add_argument('--verifier-band', nargs=2, metavar=('LOW', 'HIGH'),
                   help='scores it decides for; LOW "thr" = the score threshold '
                        '(default: stored with the verifier)')
    g.add_argument('--verifier-threshold', type=float,
                   help='keep a box the verifier gives at least this (default: stored)')
    p.add_argument('--log-level', default='INFO')
    return p.parse_args(argv)


def load_verifier(args):
    """The ``LogoVerifier`` of ``--verifier`` (None without it)."""
    if not args.verifier:
        return None
    from projects.tbank_logo.verifier import LogoVerifier
    band = args.verifier_band and [None if args.verifier_band[0] in ('thr', 'none')
                                   else float(args.verifier_band[0]),
                                   float(args.verifier_band[1])]
    return LogoVerifier(args.verifier, band=band, threshold=args.verifier_threshold)


def build_settings(args, verifier=None):
    from projects.tbank_logo.service import ServiceSettings
    stretch = model_choice(args).default_stretch() if args.stretch is None else args.stretch
    return ServiceSettings(
        verifier_band=verifier.band if verifier is not None else (None, 1.0),
        timeout_s=args.timeout, worker_threads=args.worker_threads, queue_size=args.queue,
        max_upload_bytes=int(args.max_upload_mb * 1024 ** 2),
        max_pixels=int(args.max_megapixels * 1e6), max_jpeg_scans=args.max_jpeg_scans,
        tile_size=args.tile_size,
        tile_min_side=args.tile_min_side,
        tile_max_side=args.tile_max_side, resize_max_side=args.resize_max_side,
        stretch=None if args.no_stretch else stretch,
        retrain_dir=args.retrain_dir, retrain_band=tuple(args.retrain_band),
        retrain_max_files=args.retrain_max_files,
        retrain_max_bytes=int(args.retrain_max_mb * 1024 ** 2))


def model_choice(args) -> ModelChoice:
    return ModelChoice(models=args.model, configs=args.config or [],
                       release_dir=args.release, score_thr=args.score_thr)


def detector_factory(args):
    """A callable that loads the detector (run in the background after start-up)."""
    if args.model == ['fake']:
        from projects.tbank_logo.service.testing import BlobDetector
        return lambda: BlobDetector(score_thr=0.5 if args.score_thr is None else args.score_thr)
    choice = model_choice(args)
    return lambda: choice.load(args.device)


def check_models(args):
    """What is wrong with the --model / --config / --score-thr / --release choice (None:
    nothing)."""
    if args.model == ['fake']:
        return None
    return model_choice(args).problem()


def settings_problem(args):
    """What is out of range in the settings (``ServiceSettings`` says which), else None:
    asked before anything starts."""
    try:
        build_settings(args)
    except ValueError as e:
        return str(e)
    return None


def main(argv=None) -> int:
    args = parse_args(argv)
    problem = check_models(args) or settings_problem(args)
    if problem:
        print(f'error: {problem}', file=sys.stderr)
        return 1
    if args.verifier and not osp.isfile(args.verifier):
        print(f'error: verifier file not found: {args.verifier}', file=sys.stderr)
        return 1
    from projects.tbank_logo.service.logging_json import setup_json_logging
    setup_json_logging(args.log_level)  # first: the imports below already warn
    import uvicorn

    from projects.tbank_logo.service import create_app
    from projects.tbank_logo.service.http_server import uvicorn_config
    from projects.tbank_logo.service.memory import release_large_buffers
    release_large_buffers()  # before the first image: see its module
    verifier = load_verifier(args)
    app = create_app(settings=build_settings(args, verifier),
                     detector_factory=detector_factory(args), verifier=verifier)
    uvicorn.Server(uvicorn_config(app, host=args.host, port=args.port)).run()
    return 0


if __name__ == '__main__':
    sys.exit(main())

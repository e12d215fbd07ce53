"""Every knob of the detection service, in one dataclass (``tools/serve.py`` fills it)."""
from dataclasses import dataclass
from typing import Optional, Tuple


@dataclass
class ServiceSettings:
    """Limits, inference path, and optional extras of the service.

    Limits (what protects the process):
        timeout_s: per-image budget from upload received to answer, queueing included; work
            that runs past it is abandoned and answered 504. The requirement is 10 s.
        worker_threads: inference threads; at most this many images are processed at once.
        queue_size: images admitted to wait for a thread; one more request is answered 503.
        max_upload_bytes: larger uploads are answered 413 without reading them whole.
        max_pixels, max_side: images above either (read from the header, before the pixels
            are decoded) are answered 413; this is what stops decompression bombs.
        max_jpeg_scans: JPEGs of more scans (counted from the markers, before decoding) are
            answered 422: each scan is a pass over the whole image, so thousands of them
            would hold a worker for seconds from a small file.

    Inference path:
        tile_size: side of the tiles. None: the detector's ``tile_size`` (the model config's
            ``inference_tile_size`` or the one its export stores), else the longer network
            input side. A smaller tile is enlarged to the network input, which helps a network
            trained at a larger input find small logos (the 960 px real-photo recipe with
            640 px tiles).
        tile_min_side: images whose longer side exceeds it go through tiled inference (tiles,
            plus a full-image pass). None: 2x the tile size. 0 turns tiling off.
        tile_overlap, tile_iou_thr: overlap of neighbouring tiles; IoU of the merging NMS.
        tile_max_side: a larger image is downscaled to this longer side before tiling (bounds
            the tile count, hence the time per image: at most ~26 network passes with the
            default). None: 4x the tile size.
        resize_max_side: images not tiled are first downscaled (keeping the ratio) to this
            longer side.
        stretch: images not tiled are also detected stretched this many times wide and as
            many times tall (:func:`mmdet_ext.inference.stretched_predict`), for logos squashed
            with their photo: three passes instead of one. None: one pass. The default 2 was
            adopted by a rule fixed before it was scored (``benchmarks/real_model_kfold.md``,
            2026-12-04: +0.019 F1 over three folds of real photos).
        score_thr: threshold of the answer; None takes the detector's (calibrated) one.

    Extras:
        verifier_band: ``(low, high)`` scores handed to the optional verifier, which decides for
            those boxes alone; None low means the score threshold.
        retrain_dir: when set, images whose top score lies in ``retrain_band`` are saved there
            with their predictions, until ``retrain_max_files`` / ``retrain_max_bytes``.
    """
    timeout_s: float = 8.0
    worker_threads: int = 1
    queue_size: int = 8
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 20_000
    max_jpeg_scans: int = 100

    tile_size: Optional[int] = None
    tile_min_side: Optional[int] = None
    tile_overlap: float = 0.25
    tile_iou_thr: float = 0.5
    tile_max_side: Optional[int] = None
    resize_max_side: int = 1600
    stretch: Optional[float] = 2.0
    score_thr: Optional[float] = None

    verifier_band: Tuple[Optional[float], float] = (None, 1.0)
    retrain_dir: Optional[str] = None
    retrain_band: Tuple[float, float] = (0.2, 0.6)
    retrain_max_files: int = 10_000
    retrain_max_bytes: int = 2 * 1024 ** 3

    def __post_init__(self):
        if self.timeout_s <= 0:
            raise ValueError(f'timeout_s must be positive, got {self.timeout_s}')
        if self.tile_size is not None and self.tile_size < 1:
            raise ValueError(f'tile_size must be positive, got {self.tile_size}')
        if self.stretch is not None and not self.stretch > 1:
            raise ValueError(f'stretch must be above 1, got {self.stretch}')
        if self.worker_threads < 1 or self.queue_size < 0:
            raise ValueError('worker_threads must be >= 1 and queue_size >= 0')
        for name in ('retrain_band', 'verifier_band'):
            low, high = getattr(self, name)
            if low is not None and low > high:
                raise ValueError(f'{name}: low {low} above high {high}')

    def tiling_sides(self, tile: int) -> Tuple[int, int]:
        """``(min_side, max_side)`` of tiled inference with tiles of side ``tile``: the
        settings, else 2x and 4x the tile (``tools/real_stages.sh`` scores the k-fold models
        on this path too, so it asks here rather than repeating the factors)."""
        min_side = 2 * tile if self.tile_min_side is None else self.tile_min_side
        return min_side, self.tile_max_side or 4 * tile

    @property
    def max_in_flight(self) -> int:
        """Requests admitted at once (running + waiting); also bounds abandoned work."""
        return self.worker_threads + self.queue_size

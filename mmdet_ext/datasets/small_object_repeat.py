"""A dataset wrapper that repeats images with small objects (and chosen hard negatives)."""
import copy
import json
import math
import os.path as osp
import random
from typing import Dict, Iterable, List, Optional, Union

from mmengine.dataset import BaseDataset
from mmengine.dataset.base_dataset import force_full_init
from mmyolo.registry import DATASETS


def _norm(path: str) -> str:
    return osp.normpath(str(path)).replace('\\', '/')


def _path_suffixes(path: str) -> List[str]:
    """``a/b/c.jpg`` -> ``['a/b/c.jpg', 'b/c.jpg', 'c.jpg']``: the keys an image answers to."""
    parts = _norm(path).split('/')
    return ['/'.join(parts[i:]) for i in range(len(parts))]


@DATASETS.register_module()
class SmallObjectRepeatDataset:
    """Repeat the images of a dataset by how much they teach about small objects.

    Small objects are rare and hard, so an epoch shows each image ``r`` times, with ``r``:

    * ``small_factor`` if the image has a (non-ignored) box of area below ``small_area``;
    * ``negative_factor`` if it has no box;
    * 1 otherwise;
    * at least the factor given for its path in ``extra_weights`` / :meth:`add_images` (e.g.
      mined hard negatives).

    A fractional ``r`` gives ``floor(r)`` copies plus one more with probability
    ``r - floor(r)``, drawn with ``seed``: the index list depends only on the dataset, the
    factors and the seed. Indices are kept in dataset order (the sampler shuffles), as in
    MMEngine's ``ClassBalancedDataset``, which this follows.

    Args:
        dataset (BaseDataset | dict): the dataset to repeat, or its config.
        small_area (float): box area (pixels² of the original image) below which a box is
            small. Defaults to 32².
        small_factor (float): repeat factor of images with a small box. Defaults to 3.
        negative_factor (float): repeat factor of images without boxes. Defaults to 1.
        extra_weights (dict | str, optional): ``{image path: factor}``, or a JSON file of that
            dict. A key matches an image whose path is the key or ends with it (``/key``), so
            a COCO ``file_name`` works. Defaults to None.
        seed (int): seed for fractional factors. Defaults to 0.
        lazy_init (bool): defer loading annotations until first use. Defaults to False.
    """

    def __init__(self, dataset: Union[BaseDataset, dict], small_area: float = 32**2,
                 small_factor: float = 3.0, negative_factor: float = 1.0,
                 extra_weights: Optional[Union[Dict[str, float], str]] = None, seed: int = 0,
                 lazy_init: bool = False):
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        if min(small_factor, negative_factor) < 0:
            raise ValueError('repeat factors must be >= 0')
        self.small_area = small_area
        self.small_factor = small_factor
        self.negative_factor = negative_factor
        self.seed = seed
        if isinstance(extra_weights, str):
            with open(extra_weights, encoding='utf-8') as f:
                extra_weights = json.load(f)
        self._extra: Dict[str, float] = {_norm(k): float(v)
                                         for k, v in (extra_weights or {}).items()}
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Load the wrapped dataset and build the repeated index list."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self._fully_initialized = True
        self._build_indices()

    def _base_factor(self, info: dict) -> float:
        """Factor from the image's boxes: small / negative / other."""
        boxes = [i['bbox'] for i in info.get('instances', []) if not i.get('ignore_flag', 0)]
        if not boxes:
            return self.negative_factor
        if any((x2 - x1) * (y2 - y1) < self.small_area for x1, y1, x2, y2 in boxes):
            return self.small_factor
        return 1.0

    def _extra_factor(self, info: dict) -> Optional[float]:
        """The ``extra_weights`` factor of the image's path, if any key matches it."""
        for key in _path_suffixes(info.get('img_path', '')):
            if key in self._extra:
                return self._extra[key]
        return None

    @force_full_init
    def repeat_factors(self) -> List[float]:
        """The repeat factor of each image of the wrapped dataset, in its order."""
        factors = []
        for idx in range(len(self.dataset)):
            info = self.dataset.get_data_info(idx)
            extra = self._extra_factor(info)
            base = self._base_factor(info)
            factors.append(base if extra is None else max(base, extra))
        return factors

    def _build_indices(self) -> None:
        rng = random.Random(self.seed)
        indices = []
        for idx, factor in enumerate(self.repeat_factors()):
            copies = math.floor(factor)
            # Draw for every image so one image's factor does not shift the others' draws.
            copies += rng.random() < factor - copies
            indices.extend([idx] * copies)
        self.repeat_indices = indices

    def add_images(self, paths: Iterable[str], factor: float) -> int:
        """Repeat the images at ``paths`` at least ``factor`` times from now on.

        The hook for hard-negative mining: call it with the paths of images the model got
        wrong. ``len(self)`` changes; MMEngine's ``DefaultSampler`` keeps its epoch length and
        draws from the new indices, but workers of a ``persistent_workers`` loader keep their
        copy of the old list.

        Args:
            paths: image paths (or trailing parts of them, e.g. COCO ``file_name``).
            factor: their repeat factor (the larger one wins if a path was already given).

        Returns:
            The number of images of the dataset whose factor is now set by ``paths``.
        """
        keys = {_norm(p) for p in paths}
        for key in keys:
            self._extra[key] = max(float(factor), self._extra.get(key, 0.0))
        if not self._fully_initialized:
            return 0
        self._build_indices()
        matched = 0
        for idx in range(len(self.dataset)):
            path = self.dataset.get_data_info(idx).get('img_path', '')
            matched += bool(keys.intersection(_path_suffixes(path)))
        return matched

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> int:
        return self.repeat_indices[idx]

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        return self.dataset.get_cat_ids(self._get_ori_dataset_idx(idx))

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(self._get_ori_dataset_idx(idx))

    @property
    def pipeline(self):
        """The wrapped dataset's pipeline: hooks that switch pipelines (MMYOLO's Mosaic
        switch, ``PipelineSwitchHook``) set it here and must reach the wrapped dataset."""
        return self.dataset.pipeline

    @pipeline.setter
    def pipeline(self, value):
        self.dataset.pipeline = value

    def __getitem__(self, idx: int):
        self.full_init()
        return self.dataset[self._get_ori_dataset_idx(idx)]

    @force_full_init
    def __len__(self) -> int:
        return len(self.repeat_indices)

    def get_subset_(self, indices):
        raise NotImplementedError('take a subset of the wrapped dataset instead')

    def get_subset(self, indices):
        raise NotImplementedError('take a subset of the wrapped dataset instead')

"""Merge several COCO datasets into one folder, dropping duplicate photos."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Optional, Sequence, Tuple

from .coco_io import (PathLike, group_key_from_name, index_annotations, load_coco,
                      read_image_size, save_coco)

#: Default Hamming-distance threshold (of 64 bits) for two dHashes to be the same photo.
#: On the real T-Bank sources re-encoded/squashed copies are mostly within 0-4 bits;
#: larger values start matching unrelated logos on plain white backgrounds.
DEFAULT_HASH_THRESHOLD = 4

#: Max mean absolute difference (0-255) of the 8x8 RGB thumbnails of two copies. The
#: grayscale dHash ignores colour and brightness, so e.g. a logo on black and the same
#: layout on red would otherwise match.
THUMB_TOLERANCE = 10.0


def _bits(px, w: int, h: int, dx: int, dy: int) -> int:
    """Pack ``px[i] < px[i + step]`` over a w x h grid into an int (row-major)."""
    bits = 0
    for r in range(h):
        for c in range(w):
            i = r * (w + dx) + c
            bits = (bits << 1) | (px[i] < px[i + dx + dy * (w + dx)])
    return bits


def image_signature(path: PathLike) -> Tuple[int, int, bytes]:
    """Return ``(dhash, vertical dhash, 8x8 RGB thumbnail bytes)`` of an image.

    The dHash is the 64-bit difference hash of the grayscale image resized to 9x8 (bit =
    pixel darker than its right neighbour); the vertical one uses 8x9 and the pixel below.
    Resizing to a fixed grid ignores the aspect ratio on purpose, so a 1280x960 photo and
    its 640x640 squashed copy hash (almost) the same.
    """
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im.draft('RGB', (64, 64))  # JPEG: decode at reduced scale, much faster
        im = ImageOps.exif_transpose(im).convert('RGB')
        gray = im.convert('L')
        h_px = list(gray.resize((9, 8), Image.BOX).getdata())
        v_px = list(gray.resize((8, 9), Image.BOX).getdata())
        thumb = im.resize((8, 8), Image.BOX).tobytes()
    return _bits(h_px, 8, 8, 1, 0), _bits(v_px, 8, 8, 0, 1), thumb


def dhash(path: PathLike) -> int:
    """64-bit dHash of an image (grayscale resized to 9x8), see :func:`image_signature`."""
    return image_signature(path)[0]


def same_photo(sig_a, sig_b, hash_threshold: int = DEFAULT_HASH_THRESHOLD) -> bool:
    """True if two :func:`image_signature` values look like copies of one photo: both
    dHashes within ``hash_threshold`` bits and thumbnails within :data:`THUMB_TOLERANCE`
    (the second hash and the colour check cut false matches of near-blank images)."""
    if (sig_a[0] ^ sig_b[0]).bit_count() > hash_threshold or \
            (sig_a[1] ^ sig_b[1]).bit_count() > hash_threshold:
        return False
    diff = sum(abs(a - b) for a, b in zip(sig_a[2], sig_b[2])) / len(sig_a[2])
    return diff <= THUMB_TOLERANCE


def _file_digest(path: Path) -> str:
    """SHA-1 of the file bytes (byte-identical copies are duplicates even if flat)."""
    return hashlib.sha1(path.read_bytes()).hexdigest()


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _remove_existing(dst: Path) -> None:
    """Remove a file (or dangling link) left at ``dst`` by an earlier merge."""
    if dst.exists() or dst.is_symlink():
        dst.unlink()


def _place_file(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (no extra disk space), falling back to a copy."""
    _remove_existing(dst)
    try:
        os.link(src, dst)
    except OSError:  # other file system, or links unsupported
        shutil.copy2(src, dst)


def _write_downscaled(src: Path, dst: Path, size: Tuple[int, int]) -> None:
    """Write ``src`` resized to ``size`` (w, h; 'area' filter, EXIF orientation applied as
    OpenCV's reader does) to ``dst``; JPEG quality 95, other formats as they were."""
    import cv2
    img = cv2.imread(str(src), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'{src}: cannot decode the image to downscale it')
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if dst.suffix.lower() in ('.jpg', '.jpeg') else []
    _remove_existing(dst)
    if not cv2.imwrite(str(dst), small, params):
        raise OSError(f'{dst}: cannot write the downscaled image')


def _scaled_annotation(ann: dict, sx: float, sy: float) -> dict:
    """``ann`` with bbox, area and polygon segmentation scaled by ``sx`` along x and ``sy``
    along y: the factors the image was really resized by (its sides are rounded to whole
    pixels, so one factor for both would put a box at the border past the new image)."""
    x, y, w, h = ann['bbox']
    out = dict(ann, bbox=[x * sx, y * sy, w * sx, h * sy])
    if 'area' in ann:
        out['area'] = ann['area'] * sx * sy
    if isinstance(ann.get('segmentation'), list):
        out['segmentation'] = [[v * (sy if i % 2 else sx) for i, v in enumerate(poly)]
                               for poly in ann['segmentation']]
    return out


def merge_coco(sources: Sequence[Tuple[PathLike, PathLike]], out_dir: PathLike,
               dedupe: bool = True, group_regex: Optional[str] = None,
               hash_threshold: int = DEFAULT_HASH_THRESHOLD,
               max_side: Optional[int] = None, min_side: int = 0) -> dict:
    """Merge COCO datasets into ``out_dir/images/`` + ``out_dir/annotations.json``.

    Duplicate photos (across or within sources) are found by :func:`same_photo` (dHash
    Hamming distance ``<= hash_threshold``), identical file bytes, and, if ``group_regex``
    is given, an equal first regex group of the file name (e.g. ``^([0-9a-f]{32})``). Of
    each photo the copy with most annotations, then largest resolution, then earliest
    source is kept with its own boxes. Image/annotation ids are renumbered, categories
    unified by name, files hard-linked (or copied) under collision-free names. Every output
    image gets ``photo_id`` (group key, else dHash hex), ``source`` (the source's folder
    name) and ``original_file_name``.

    Args:
        sources: ``(coco_json_path, images_dir)`` pairs.
        out_dir: output folder (created).
        dedupe: if false, keep every copy (still sharing a ``photo_id``, so a split can
            keep them on the same side).
        group_regex: optional regex whose first group is a photo id in the file name.
        hash_threshold: max Hamming distance between dHashes of one photo.
        max_side: if given, images with a longer side are written downscaled to it (boxes
            scaled alike; ``original_width``/``original_height`` record the source size),
            which makes training on multi-megapixel photos much cheaper to decode.
        min_side: images with a side shorter than this are left out (before duplicates are
            looked for) and listed in ``too_small``: a training set needs this, since a
            1-pixel image (one is among the real photos) crashes resizing augmentations
            mid-training (an image squeezed to 0 pixels).

    Returns:
        Summary dict: ``images_in``, ``images_out``, ``duplicates_dropped``,
        ``duplicate_groups``, ``annotations_in``, ``annotations_out``, ``missing_files``
        (list of paths skipped because the image file does not exist), ``too_small`` (paths
        skipped for ``min_side``), ``per_source``.
    """
    out_dir = Path(out_dir)
    entries, cat_names, missing, too_small, per_source = [], [], [], [], {}
    for src_idx, (json_path, images_dir) in enumerate(sources):
        coco, images_dir = load_coco(json_path), Path(images_dir)
        src_name = Path(json_path).resolve().parent.name or f'source{src_idx}'
        if src_name in per_source:  # two sources from same-named folders
            src_name = f'{src_name}_{src_idx}'
        per_source[src_name] = {'images_in': len(coco['images']), 'images_out': 0}
        cats = {c['id']: c['name'] for c in coco['categories']}
        cat_names += [n for n in cats.values() if n not in cat_names]
        anns = index_annotations(coco)
        for im in coco['images']:
            path = images_dir / im['file_name']
            if not path.is_file():
                missing.append(str(path))
                continue
            w, h = im.get('width'), im.get('height')
            if not w or not h:
                w, h = read_image_size(path)
            if min(w, h) < min_side:
                too_small.append(f'{path} ({w}x{h})')
                continue
            entries.append(dict(image=im, path=path, source=src_name, src_idx=src_idx,
                                anns=anns.get(im['id'], []), cats=cats, w=w, h=h,
                                sig=image_signature(path),
                                key=group_key_from_name(path.name, group_regex)))

    # Cluster copies of one photo (union-find so matches are transitive).
    uf = _UnionFind(len(entries))
    first_by = {}
    for i, e in enumerate(entries):
        for key in (('re', e['key']), ('sha', _file_digest(e['path']))):
            if key[1] is not None:
                uf.union(i, first_by.setdefault(key, i))
    for a in range(len(entries)):  # O(n^2) int ops: about a second for 2000 images
        for b in range(a + 1, len(entries)):
            if same_photo(entries[a]['sig'], entries[b]['sig'], hash_threshold):
                uf.union(a, b)
    clusters: dict = {}
    for i in range(len(entries)):
        clusters.setdefault(uf.find(i), []).append(i)

    merged = {'images': [], 'annotations': [],
              'categories': [{'id': i + 1, 'name': n} for i, n in enumerate(cat_names)]}
    cat_id = {n: i + 1 for i, n in enumerate(cat_names)}
    (out_dir / 'images').mkdir(parents=True, exist_ok=True)
    used_names = set()
    for members in sorted(clusters.values()):
        ranked = sorted(members, key=lambda i: (-len(entries[i]['anns']),
                                                -entries[i]['w'] * entries[i]['h'], i))
        keys = [entries[i]['key'] for i in ranked if entries[i]['key']]
        photo_id = keys[0] if keys else f'{entries[ranked[0]]["sig"][0]:016x}'
        for i in (ranked if not dedupe else ranked[:1]):
            e = entries[i]
            name, stem, n = e['path'].name, e['path'].stem, 1
            while name.lower() in used_names:  # case-insensitive: safe on macOS/Windows
                name, n = f'{stem}_{n}{e["path"].suffix}', n + 1
            used_names.add(name.lower())
            scale = min(1.0, max_side / max(e['w'], e['h'])) if max_side else 1.0
            size, extra = (e['w'], e['h']), {}
            if scale < 1:
                size = (max(1, round(e['w'] * scale)), max(1, round(e['h'] * scale)))
                _write_downscaled(e['path'], out_dir / 'images' / name, size)
                extra = {'original_width': e['w'], 'original_height': e['h']}
            else:
                _place_file(e['path'], out_dir / 'images' / name)
            img_id = len(merged['images']) + 1
            merged['images'].append({
                **e['image'], 'id': img_id, 'file_name': name, 'width': size[0],
                'height': size[1], 'photo_id': photo_id, 'source': e['source'],
                'original_file_name': e['image']['file_name'], **extra})
            per_source[e['source']]['images_out'] += 1
            for ann in e['anns']:
                if ann.get('category_id') not in e['cats']:
                    raise ValueError(f'{e["path"]}: annotation {ann.get("id")} has unknown '
                                     f'category_id {ann.get("category_id")}')
                if scale < 1:
                    ann = _scaled_annotation(ann, size[0] / e['w'], size[1] / e['h'])
                x, y, bw, bh = ann['bbox']
                merged['annotations'].append({
                    **ann, 'id': len(merged['annotations']) + 1, 'image_id': img_id,
                    'category_id': cat_id[e['cats'][ann['category_id']]],
                    'area': ann.get('area', bw * bh), 'iscrowd': ann.get('iscrowd', 0)})
    save_coco(merged, out_dir / 'annotations.json')
    return {'images_in': len(entries) + len(missing) + len(too_small),
            'images_out': len(merged['images']),
            'duplicates_dropped': len(entries) - len(merged['images']),
            'duplicate_groups': sum(len(m) > 1 for m in clusters.values()),
            'annotations_in': sum(len(e['anns']) for e in entries),
            'annotations_out': len(merged['annotations']),
            'missing_files': missing, 'too_small': too_small, 'per_source': per_source}

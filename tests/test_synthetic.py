"""Tests of the synthetic T-Bank logo generator (pure numpy/OpenCV; small images, fast)."""
import json

import cv2
import numpy as np
import pytest

from projects.tbank_logo.synthetic import (compose_scene, generate_dataset, list_images,
                                           load_logo_crops, make_background, render_distractor,
                                           render_logo, size_bucket)

BG = (30, 60, 200)  # blue: far from every yellow shield colour


def _flat(size=96):
    img = np.empty((size, size, 3), np.uint8)
    img[:] = BG
    return img


def _yellow_logo(side, rng, background):
    return render_logo(rng, side / 1.12, scheme='yellow', outline=False)


@pytest.mark.parametrize('seed', range(12))
def test_boxes_match_drawn_pixels(seed):
    rng = np.random.default_rng(seed)
    bg = _flat()
    out = compose_scene(bg, [_yellow_logo] * 2, rng, min_box=12, max_box_frac=0.6,
                        effects=False)
    img, boxes = out['image'], out['boxes']
    assert boxes and out['lighting'] == 'normal'
    diff = np.abs(img.astype(int) - bg).max(-1)
    inside = np.zeros(diff.shape, bool)
    for x, y, w, h in boxes:
        x, y, w, h = map(int, (x, y, w, h))
        # anything visibly changed lies inside the box (1 px anti-aliasing fringe allowed)
        inside[max(y - 1, 0):y + h + 1, max(x - 1, 0):x + w + 1] = True
        strong = diff[y:y + h, x:x + w] > 45  # alpha >= 30% of a >= 150 contrast
        # every box edge touches the drawn logo
        assert strong[0].any() and strong[-1].any() and strong[:, 0].any() and strong[:, -1].any()
    assert not (diff[~inside] > 0).any()


def test_renderers_return_rgba():
    rng = np.random.default_rng(0)
    for size in (8, 40, 120):
        logo = render_logo(rng, size)
        assert logo.dtype == np.uint8 and logo.shape[2] == 4 and logo[..., 3].max() == 255
        rgba, kind = render_distractor(rng, size)
        assert rgba.shape[2] == 4 and rgba[..., 3].max() > 0 and isinstance(kind, str)


def _files(root):
    return {p.name: p.read_bytes() for p in sorted((root / 'images').iterdir())}


def test_deterministic(tmp_path):
    kw = dict(num_images=6, img_size=64, min_box=8)
    a, b, c = tmp_path / 'a', tmp_path / 'b', tmp_path / 'c'
    generate_dataset(str(a), seed=3, **kw)
    generate_dataset(str(b), seed=3, workers=2, **kw)  # workers must not change anything
    generate_dataset(str(c), seed=4, **kw)
    assert (a / 'annotations.json').read_bytes() == (b / 'annotations.json').read_bytes()
    assert _files(a) == _files(b)
    assert _files(a) != _files(c)


def test_annotations_valid(tmp_path):
    s = generate_dataset(str(tmp_path), num_images=12, img_size=(96, 64), seed=1, min_box=8,
                         max_box_frac=0.6, max_logos=3)
    coco = json.loads((tmp_path / 'annotations.json').read_text())
    assert coco['categories'] == [{'id': 1, 'name': 'tbank_logo'}]
    assert s['images'] == 12 and s['boxes'] == len(coco['annotations']) > 0
    sizes = {im['id']: (im['width'], im['height']) for im in coco['images']}
    for im in coco['images']:
        assert im['scene'] and im['lighting'] in ('normal', 'dark', 'bright', 'warm', 'cool')
        assert cv2.imread(str(tmp_path / 'images' / im['file_name'])).shape[:2] == (64, 96)
    for a in coco['annotations']:
        x, y, w, h = a['bbox']
        W, H = sizes[a['image_id']]
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= W and y + h <= H
        assert a['size_bucket'] == size_bucket(w, h) and a['category_id'] == 1
        assert a['iscrowd'] == 0 and a['area'] == pytest.approx(w * h, abs=0.1)
    assert size_bucket(15, 15) == 'tiny' and size_bucket(20, 20) == 'small'
    assert size_bucket(50, 50) == 'medium' and size_bucket(100, 100) == 'large'


def test_negatives_have_no_boxes(tmp_path):
    s = generate_dataset(str(tmp_path), num_images=5, img_size=64, negative_fraction=1.0,
                         distractor_prob=1.0)
    coco = json.loads((tmp_path / 'annotations.json').read_text())
    assert s['negatives'] == 5 and coco['annotations'] == []


def test_cli_output_loads_with_pycocotools(tmp_path):
    from pycocotools.coco import COCO

    from tools.generate_synthetic import main
    assert main(['--out', str(tmp_path), '--num-images', '4', '--img-size', '80x64',
                 '--seed', '2']) == 0
    coco = COCO(str(tmp_path / 'annotations.json'))
    assert len(coco.getImgIds()) == 4 and coco.getCatIds() == [1]


def _tiny_coco(root):
    img = np.zeros((30, 40, 3), np.uint8)
    img[5:15, 5:25] = (0, 0, 255)  # BGR red, 20x10 box
    (root / 'images').mkdir()
    cv2.imwrite(str(root / 'images' / 'a.png'), img)
    ann = dict(images=[dict(id=1, file_name='a.png', width=40, height=30)],
               annotations=[dict(id=1, image_id=1, category_id=1, bbox=[5, 5, 20, 10],
                                 area=200, iscrowd=0)],
               categories=[dict(id=1, name='tbank_logo')])
    (root / 'annotations.json').write_text(json.dumps(ann))
    return root / 'annotations.json'


def test_copy_paste_crops(tmp_path):
    crops = load_logo_crops(str(_tiny_coco(tmp_path)))
    assert len(crops) == 1 and crops[0].shape == (10, 20, 4)
    assert (crops[0][..., :3] == (255, 0, 0)).all() and (crops[0][..., 3] == 255).all()
    bg = _flat()
    out = compose_scene(bg, crops, np.random.default_rng(0), min_box=10, max_box_frac=0.5,
                        effects=False, warp=False)
    (x, y, w, h), = out['boxes']
    assert abs(w / 2 - h) <= 1  # the crop's aspect ratio, scaled
    x, y, w, h = map(int, (x, y, w, h))
    assert (out['image'][y:y + h, x:x + w] == (255, 0, 0)).all()
    changed = (out['image'] != bg).any(-1)
    assert changed.sum() == w * h  # nothing drawn outside the box
    s = generate_dataset(str(tmp_path / 'gen'), num_images=4, img_size=64,
                         logo_source=str(tmp_path / 'annotations.json'))
    assert s['boxes'] > 0


def test_photo_backgrounds_skip_unreadable(tmp_path):
    cv2.imwrite(str(tmp_path / 'ok.png'), np.full((50, 70, 3), 128, np.uint8))
    (tmp_path / 'broken.jpg').write_bytes(b'not an image')
    photos = list_images(str(tmp_path))
    assert len(photos) == 2
    scenes = set()
    with pytest.warns(UserWarning, match='unreadable'):
        for i in range(8):
            img, scene = make_background(np.random.default_rng(i), (40, 30), photos, 1.0)
            assert img.shape == (30, 40, 3) and img.dtype == np.uint8
            scenes.add(scene)
    assert 'photo' in scenes and len(scenes) > 1  # a broken file falls back to a texture

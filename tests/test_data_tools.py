"""Tests of the generic COCO data tools (mmdet_ext.data_tools) and their CLIs."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmdet_ext.data_tools import (CocoFormatError, YoloFormatError, bbox_size_bucket,
                                  coco_to_yolo, kfold_coco, load_coco, merge_coco, save_coco,
                                  split_coco, validate_coco, yolo_to_coco)
from mmdet_ext.data_tools.split import image_group_key

REPO = Path(__file__).resolve().parents[1]


def _cli(name):
    """Import tools/data/<name>.py as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / 'tools' / 'data' / f'{name}.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _photo(path, w, h, seed, quality=95):
    """Write a smooth random 'photo' (low-frequency noise, so it survives resizing)."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 255, (6, 6, 3), dtype=np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    small.resize((w, h), Image.BICUBIC).save(path, quality=quality)
    return path


def _coco(images, anns):
    return {'images': images, 'annotations': anns,
            'categories': [{'id': 1, 'name': 'logo'}]}


# ---------------------------------------------------------------- coco_io
def test_load_coco_errors(tmp_path):
    with pytest.raises(CocoFormatError, match='not found'):
        load_coco(tmp_path / 'nope.json')
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [')
    with pytest.raises(CocoFormatError, match='bad.json.*invalid JSON'):
        load_coco(bad)
    bad.write_text('{"images": []}')
    with pytest.raises(CocoFormatError, match='annotations, categories'):
        load_coco(bad)


def test_save_coco_atomic(tmp_path):
    path = tmp_path / 'ann.json'
    save_coco(_coco([], []), path)
    before = path.read_text()
    with pytest.raises(TypeError):
        save_coco({'images': [object()]}, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ['ann.json']  # no temp file left


def test_bbox_size_bucket():
    assert [bbox_size_bucket(*s) for s in ((10, 10), (20, 20), (50, 50), (100, 100))] == \
        ['tiny', 'small', 'medium', 'large']


# ---------------------------------------------------------------- YOLO <-> COCO
def test_yolo_coco_round_trip(tmp_path):
    _photo(tmp_path / 'img' / 'a.jpg', 200, 100, 0)
    _photo(tmp_path / 'img' / 'b.png', 64, 48, 1)  # no label file -> negative
    _photo(tmp_path / 'img' / 'c.jpg', 50, 50, 2)
    lab = tmp_path / 'lab'
    lab.mkdir()
    lines = ['0 0.5 0.5 0.2 0.4', '1 0.1 0.2 0.1 0.1']
    (lab / 'a.txt').write_text('\n'.join(lines) + '\n')
    (lab / 'c.txt').write_text('')  # empty -> negative
    coco = yolo_to_coco(tmp_path / 'img', lab, ['logo', 'other'])
    assert [(i['file_name'], i['width'], i['height']) for i in coco['images']] == \
        [('a.jpg', 200, 100), ('b.png', 64, 48), ('c.jpg', 50, 50)]
    assert [a['bbox'] for a in coco['annotations']] == [[80, 30, 40, 40], [10, 15, 20, 10]]
    assert [a['category_id'] for a in coco['annotations']] == [1, 2]

    out = tmp_path / 'lab2'
    assert coco_to_yolo(coco, out) == 3
    assert (out / 'b.txt').read_text() == '' and (out / 'c.txt').read_text() == ''

    def numbers(rows):
        return [[float(v) for v in row.split()] for row in rows]
    got = numbers((out / 'a.txt').read_text().splitlines())
    np.testing.assert_allclose(got, numbers(lines), atol=1e-6)

    # CLIs
    assert _cli('yolo2coco').main([str(tmp_path / 'img'), str(lab), '--classes', 'logo',
                                   'other', '--out', str(tmp_path / 'ann.json')]) == 0
    assert load_coco(tmp_path / 'ann.json') == coco
    assert _cli('coco2yolo').main([str(tmp_path / 'ann.json'), '--out-labels',
                                   str(tmp_path / 'lab3')]) == 0
    assert (tmp_path / 'lab3' / 'a.txt').read_text() == (out / 'a.txt').read_text()


@pytest.mark.parametrize('line', ['0 0.5 0.5 0.2', '0 0.5 x 0.2 0.2', '3 0.5 0.5 0.2 0.2',
                                  '0 0.5 0.5 0 0.2', '0 nan 0.5 0.2 0.2'])
def test_yolo_malformed_line(tmp_path, line, capsys):
    _photo(tmp_path / 'img' / 'a.jpg', 32, 32, 0)
    (tmp_path / 'lab').mkdir()
    (tmp_path / 'lab' / 'a.txt').write_text(f'0 0.5 0.5 0.1 0.1\n\n{line}\n')
    with pytest.raises(YoloFormatError, match=r'a\.txt:3'):
        yolo_to_coco(tmp_path / 'img', tmp_path / 'lab', ['logo'])
    assert _cli('yolo2coco').main([str(tmp_path / 'img'), str(tmp_path / 'lab'), '--classes',
                                   'logo', '--out', str(tmp_path / 'o.json')]) == 1
    assert 'a.txt:3' in capsys.readouterr().err


# ---------------------------------------------------------------- merge
def _dataset(root, names_sizes, boxes):
    """Write root/images/* and root/annotations.json; boxes: {file name: [bbox, ...]}."""
    images, anns = [], []
    for i, (name, (w, h, seed, q)) in enumerate(names_sizes.items(), start=1):
        _photo(root / 'images' / name, w, h, seed, q)
        images.append({'id': i, 'file_name': name, 'width': w, 'height': h})
        anns += [{'id': len(anns) + 1, 'image_id': i, 'category_id': 1, 'bbox': b,
                  'area': b[2] * b[3], 'iscrowd': 0} for b in boxes.get(name, [])]
    save_coco(_coco(images, anns), root / 'annotations.json')
    return root


def test_merge_drops_resized_reencoded_duplicate(tmp_path):
    a = _dataset(tmp_path / 'a', {'p1.jpg': (320, 240, 1, 95), 'p2.jpg': (320, 240, 2, 95)},
                 {'p1.jpg': [[10, 10, 40, 30]]})
    # Same photo as a/p1, squashed to a square and re-encoded at low quality, 2 boxes.
    b = _dataset(tmp_path / 'b', {'p1.jpg': (128, 128, 1, 40), 'p3.jpg': (100, 80, 3, 90)},
                 {'p1.jpg': [[4, 5, 16, 16], [50, 50, 10, 10]]})
    out = tmp_path / 'out'
    summary = merge_coco([(a / 'annotations.json', a / 'images'),
                          (b / 'annotations.json', b / 'images')], out)
    assert (summary['images_in'], summary['images_out'], summary['duplicates_dropped']) == \
        (4, 3, 1)
    merged = load_coco(out / 'annotations.json')
    assert validate_coco(merged, out / 'images') == []
    kept = {(im['source'], im['original_file_name']): im for im in merged['images']}
    assert set(kept) == {('a', 'p2.jpg'), ('b', 'p1.jpg'), ('b', 'p3.jpg')}  # most boxes
    assert len(merged['annotations']) == 2
    assert [im['id'] for im in merged['images']] == [1, 2, 3]
    assert len({im['file_name'] for im in merged['images']}) == 3  # p1 name collision-free
    assert all(len(im['photo_id']) == 16 for im in merged['images'])

    summary = merge_coco([(a / 'annotations.json', a / 'images'),
                          (b / 'annotations.json', b / 'images')], out, dedupe=False)
    merged = load_coco(out / 'annotations.json')
    assert summary['images_out'] == 4 and len(merged['annotations']) == 3
    assert len({im['photo_id'] for im in merged['images']}) == 3  # copies share photo_id
    assert len({im['file_name'] for im in merged['images']}) == 4


def test_merge_group_regex_and_cli(tmp_path, capsys):
    h1, h2 = '0' * 32, 'ab' * 16
    # Different pixels, but the file names say they are the same photo.
    a = _dataset(tmp_path / 'a', {f'{h1}_jpg.rf.x.jpg': (64, 64, 1, 90),
                                  f'{h2}.jpg': (64, 64, 2, 90)}, {})
    b = _dataset(tmp_path / 'b', {f'{h1}.jpg': (96, 96, 5, 90)},
                 {f'{h1}.jpg': [[1, 1, 20, 20]]})
    srcs = ['--src', str(a), '--src', f'{b}/annotations.json:{b}/images']
    assert _cli('merge_coco').main(srcs + ['--out-dir', str(tmp_path / 'o1')]) == 0
    assert len(load_coco(tmp_path / 'o1' / 'annotations.json')['images']) == 3
    assert _cli('merge_coco').main(srcs + ['--out-dir', str(tmp_path / 'o2'),
                                           '--group-regex', '^([0-9a-f]{32})']) == 0
    assert '3 images -> 2 (1 duplicates dropped' in capsys.readouterr().out
    merged = load_coco(tmp_path / 'o2' / 'annotations.json')
    assert sorted(im['photo_id'] for im in merged['images']) == [h1, h2]
    assert [im['source'] for im in merged['images'] if im['photo_id'] == h1] == ['b']
    assert _cli('merge_coco').main(['--src', str(tmp_path / 'missing'), '--out-dir',
                                    str(tmp_path / 'o3')]) == 1


def test_merge_min_side_leaves_out_a_one_pixel_image_and_names_it(tmp_path, capsys):
    # one of the real photos is a 1x1 image: squeezed by a training augmentation it becomes
    # 0 pixels wide and crashes the run (2026-12-03), so training sets leave such images out
    a = _dataset(tmp_path / 'a', {'dot.jpg': (1, 1, 1, 90), 'p1.jpg': (64, 48, 2, 90)},
                 {'p1.jpg': [[4, 4, 20, 20]]})
    assert _cli('merge_coco').main(['--src', str(a), '--out-dir', str(tmp_path / 'o'),
                                    '--min-side', '8']) == 0
    out = capsys.readouterr()
    assert 'dot.jpg (1x1)' in out.err and '2 images -> 1 (0 duplicates dropped' in out.out
    merged = load_coco(tmp_path / 'o' / 'annotations.json')
    assert [im['original_file_name'] for im in merged['images']] == ['p1.jpg']
    assert len(merged['annotations']) == 1
    summary = merge_coco([(a / 'annotations.json', a / 'images')], tmp_path / 'o2')
    assert summary['images_out'] == 2 and summary['too_small'] == []  # kept by default


def test_merge_max_side_downscales_images_and_boxes(tmp_path):
    root = tmp_path / 'a'
    (root / 'images').mkdir(parents=True)
    img = np.zeros((300, 800, 3), np.uint8)
    img[100:180, 400:520] = 255  # the "logo": a white 120x80 rectangle
    Image.fromarray(img).save(root / 'images' / 'big.png')
    _photo(root / 'images' / 'small.jpg', 200, 100, 1)
    save_coco(_coco([{'id': 1, 'file_name': 'big.png', 'width': 800, 'height': 300},
                     {'id': 2, 'file_name': 'small.jpg', 'width': 200, 'height': 100}],
                    [{'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [400, 100, 120, 80],
                      'area': 9600, 'iscrowd': 0}]), root / 'annotations.json')
    out = tmp_path / 'out'
    assert _cli('merge_coco').main(['--src', str(root), '--out-dir', str(out),
                                    '--max-side', '400']) == 0
    merged = load_coco(out / 'annotations.json')
    assert validate_coco(merged, out / 'images') == []  # sizes match the written files
    big = next(im for im in merged['images'] if im['original_file_name'] == 'big.png')
    assert (big['width'], big['height'], big['original_width']) == (400, 150, 800)
    (ann,) = merged['annotations']
    assert ann['bbox'] == [200, 50, 60, 40] and ann['area'] == 2400
    x, y, w, h = map(int, ann['bbox'])
    pixels = np.asarray(Image.open(out / 'images' / big['file_name']).convert('L'))
    assert pixels[y + 2:y + h - 2, x + 2:x + w - 2].min() > 240  # the logo is under its box
    assert pixels.sum() == pytest.approx(255 * w * h, rel=0.05)  # and nothing else is bright
    small = next(im for im in merged['images'] if im['original_file_name'] == 'small.jpg')
    assert (small['width'], 'original_width' in small) == (200, False)  # not upscaled
    assert (out / 'images' / 'small.jpg').read_bytes() == \
        (root / 'images' / 'small.jpg').read_bytes()  # linked or copied, not re-encoded


def test_merge_max_side_keeps_a_border_box_inside_the_rounded_image(tmp_path):
    """A 1000x173 photo shrinks to 400x69 (69.2 rounded): a box down to the bottom border
    ends at the new border, not 0.2 px past it (where albumentations refuses it)."""
    root = tmp_path / 'a'
    (root / 'images').mkdir(parents=True)
    _photo(root / 'images' / 'banner.jpg', 1000, 173, 2)
    save_coco(_coco([{'id': 1, 'file_name': 'banner.jpg', 'width': 1000, 'height': 173}],
                    [{'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [10, 0, 173, 173],
                      'area': 173 * 173, 'iscrowd': 0}]), root / 'annotations.json')
    out = tmp_path / 'out'
    assert _cli('merge_coco').main(['--src', str(root), '--out-dir', str(out),
                                    '--max-side', '400']) == 0
    merged = load_coco(out / 'annotations.json')
    (image, ), (ann, ) = merged['images'], merged['annotations']
    assert (image['width'], image['height']) == (400, 69)
    x, y, w, h = ann['bbox']
    assert (x, w) == pytest.approx((4.0, 69.2)) and y + h == pytest.approx(69.0)
    assert ann['area'] == pytest.approx(w * h)


# ---------------------------------------------------------------- validate
def _clean():
    return _coco([{'id': 1, 'file_name': 'a.jpg', 'width': 100, 'height': 80},
                  {'id': 2, 'file_name': 'b.jpg', 'width': 50, 'height': 50}],
                 [{'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [0, 0, 100.5, 80]},
                  {'id': 2, 'image_id': 2, 'category_id': 1, 'bbox': [10, 10, 5, 5]}])


BROKEN = {  # kind: (mutation, text that must appear in the message)
    'bbox_outside_image': (lambda c: c['annotations'][1].update(bbox=[40, 40, 20, 5]),
                           "annotation 2 (image 2 'b.jpg')"),
    'bbox_nonpositive_size': (lambda c: c['annotations'][1].update(bbox=[1, 1, 0, 5]),
                              'annotation 2'),
    'unknown_category': (lambda c: c['annotations'][0].update(category_id=7),
                         'unknown category id 7'),
    'duplicate_image_id': (lambda c: c['images'].append(dict(c['images'][0])),
                           "image 1 'a.jpg'"),
    'duplicate_annotation_id': (lambda c: c['annotations'][1].update(id=1),
                                'annotation 1'),
    'missing_image_id': (lambda c: c['annotations'][1].update(image_id=9), 'image id 9'),
    'bbox_not_numeric': (lambda c: c['annotations'][1].update(bbox=[1, float('nan'), 2, 2]),
                         'annotation 2'),
    'bbox_bad_length': (lambda c: c['annotations'][1].update(bbox=[1, 2, 3]), 'annotation 2'),
    'missing_file': (lambda c: c['images'][1].update(file_name='gone.jpg'), 'gone.jpg'),
    'size_mismatch': (lambda c: c['images'][0].update(width=101), "image 1 'a.jpg'"),
}


@pytest.fixture
def clean_dir(tmp_path):
    _photo(tmp_path / 'images' / 'a.jpg', 100, 80, 0)
    _photo(tmp_path / 'images' / 'b.jpg', 50, 50, 1)
    save_coco(_clean(), tmp_path / 'ann.json')
    return tmp_path


def test_validate_clean(clean_dir, capsys):
    assert validate_coco(clean_dir / 'ann.json', clean_dir / 'images') == []
    assert _cli('validate_coco').main([str(clean_dir / 'ann.json'), '--images-dir',
                                       str(clean_dir / 'images')]) == 0
    assert 'OK: 2 images, 2 boxes' in capsys.readouterr().out


@pytest.mark.parametrize('kind', sorted(BROKEN))
def test_validate_broken(clean_dir, kind, capsys):
    mutate, needle = BROKEN[kind]
    coco = _clean()
    mutate(coco)
    save_coco(coco, clean_dir / 'bad.json')
    problems = validate_coco(coco, clean_dir / 'images')
    assert [p.kind for p in problems] == [kind]
    assert needle in str(problems[0])
    assert _cli('validate_coco').main([str(clean_dir / 'bad.json'), '--images-dir',
                                       str(clean_dir / 'images')]) == 1
    assert kind in capsys.readouterr().out


def test_validate_cli_bad_json(tmp_path, capsys):
    (tmp_path / 'x.json').write_text('[1, 2')
    assert _cli('validate_coco').main([str(tmp_path / 'x.json')]) == 1
    assert 'x.json' in capsys.readouterr().err


# ---------------------------------------------------------------- split
def _split_dataset(n=200):
    rng = np.random.default_rng(0)
    images, anns = [], []
    for i in range(1, n + 1):
        photo = f'{i // 3:032x}'  # groups of 3 copies share a 32-hex prefix
        images.append({'id': i, 'file_name': f'{photo}_v{i % 3}.jpg', 'width': 640,
                       'height': 640})
        if i % 4:  # 3/4 positives, sizes from tiny to large
            s = float(rng.choice([8, 24, 60, 200]))
            anns.append({'id': len(anns) + 1, 'image_id': i, 'category_id': 1,
                         'bbox': [10, 10, s, s]})
    return _coco(images, anns)


def test_split_properties():
    coco = _split_dataset()
    train, val = split_coco(coco, 0.2, seed=1)
    assert split_coco(coco, 0.2, seed=1) == (train, val)
    assert split_coco(coco, 0.2, seed=2) != (train, val)
    ids_t, ids_v = {i['id'] for i in train['images']}, {i['id'] for i in val['images']}
    assert not ids_t & ids_v and ids_t | ids_v == {i['id'] for i in coco['images']}
    assert not {image_group_key(i) for i in train['images']} & \
        {image_group_key(i) for i in val['images']}
    assert 0.12 < len(ids_v) / len(coco['images']) < 0.28
    assert len(train['annotations']) + len(val['annotations']) == len(coco['annotations'])
    assert {a['image_id'] for a in val['annotations']} <= ids_v
    val_neg = sum(1 for i in ids_v if i not in {a['image_id'] for a in val['annotations']})
    assert 0 < val_neg < len(ids_v)  # both negatives and positives in val


def test_split_never_empty_and_cli(tmp_path, capsys):
    coco = _coco([{'id': 1, 'file_name': 'a.jpg'}, {'id': 2, 'file_name': 'b.jpg'}], [])
    train, val = split_coco(coco, 0.1)
    assert len(train['images']) == 1 and len(val['images']) == 1
    save_coco(_split_dataset(), tmp_path / 'ann.json')
    assert _cli('split_coco').main([str(tmp_path / 'ann.json'), '--out-dir', str(tmp_path),
                                    '--val-fraction', '0.1', '--seed', '0']) == 0
    out = capsys.readouterr().out
    assert 'train: ' in out and 'val: ' in out
    n = sum(len(load_coco(tmp_path / f)['images']) for f in ('train.json', 'val.json'))
    assert n == 200


def test_kfold_partitions_by_photo_and_keeps_the_split_as_fold_0(tmp_path):
    coco = _split_dataset()
    all_ids = {i['id'] for i in coco['images']}
    pairs = kfold_coco(coco, 5, seed=3)
    held = [{i['id'] for i in val['images']} for _, val in pairs]
    assert sum(map(len, held)) == len(all_ids) and set().union(*held) == all_ids
    assert all(30 <= len(h) <= 50 for h in held)  # about a fifth each
    groups = [{image_group_key(i) for i in val['images']} for _, val in pairs]
    assert all(not groups[a] & groups[b] for a in range(5) for b in range(a))
    for (train, val), ids in zip(pairs, held):
        assert {i['id'] for i in train['images']} == all_ids - ids
        assert len(train['annotations']) + len(val['annotations']) == len(coco['annotations'])
    assert pairs[0] == split_coco(coco, 0.2, seed=3)  # a split made before is fold 0
    with pytest.raises(ValueError, match='folds'):
        kfold_coco(coco, 1)
    save_coco(coco, tmp_path / 'ann.json')
    assert _cli('split_coco').main([str(tmp_path / 'ann.json'), '--out-dir', str(tmp_path),
                                    '--folds', '3', '--seed', '3']) == 0
    for i, (train, val) in enumerate(kfold_coco(coco, 3, seed=3)):
        assert load_coco(tmp_path / f'fold{i}_train.json') == train
        assert load_coco(tmp_path / f'fold{i}_val.json') == val


def test_add_ignore_regions_scales_to_the_stored_copy_and_refuses_ambiguity():
    from mmdet_ext.data_tools import add_ignore_regions
    coco = dict(images=[dict(id=7, file_name='a.jpg', source='x', width=640, height=480),
                        dict(id=8, file_name='a.jpg', source='y', width=100, height=100)],
                annotations=[dict(id=5, image_id=7, category_id=3, bbox=[0, 0, 9, 9], iscrowd=0)],
                categories=[dict(id=3, name='logo')])
    region = dict(image=dict(file_name='a.jpg', source='x'), image_size=[1280, 960],
                  bbox=[100, 200, 40, 20])
    assert add_ignore_regions(coco, [dict(region, image={'source': 'z'}), region]) == [1]
    added = coco['annotations'][-1]
    assert added == dict(id=6, image_id=7, category_id=3, bbox=[50, 100, 20, 10], area=200,
                         iscrowd=1)
    with pytest.raises(CocoFormatError, match='names 2 images'):
        add_ignore_regions(coco, [dict(region, image={'file_name': 'a.jpg'})])

"""Deployment: preprocessing equal to MMYOLO's, MMDeploy exports, parity, Detector backends."""
import json
import os.path as osp

import cv2
import numpy as np
import onnx
import pytest

from conftest import REPO, make_tiny_cfg

DEPLOY = osp.join(REPO, 'deploy_configs')
NMS_SCORE, PARITY_SCORE = 0.01, 0.1


@pytest.fixture(scope='module')
def model_files(tiny_dataset, tmp_path_factory):
    """A checkpoint whose detections depend on the image, made in seconds.

    A few epochs on tiny data leave YOLOv8 answering the same boxes for every image, and a
    freshly initialised one has vanishing activations. Parity needs neither accuracy nor
    training, only input-dependent outputs: a random network with batch-norm statistics taken
    from 16 images and a class bias raised to give ~5 boxes above 0.1 per image.
    """
    import torch
    from mmyolo.registry import MODELS
    out = tmp_path_factory.mktemp('parity_model')
    cfg = make_tiny_cfg(tiny_dataset, out / 'w', img_size=160)
    cfg_path = str(out / 'model_cfg.py')
    cfg.dump(cfg_path)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    images = [cv2.resize(img, (160, 160))[..., ::-1] for img in val_images(tiny_dataset, 16)]
    batch = torch.from_numpy(np.stack(images).astype(np.float32) / 255).permute(0, 3, 1, 2)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 1.0  # one pass sets the running statistics to this batch's
    model.train()
    with torch.no_grad():
        model.bbox_head.head_module(model.extract_feat(batch))
    for conv in model.bbox_head.head_module.cls_preds:
        conv[-1].bias.data += 3.0
    ckpt = str(out / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('tbank_logo',)))), ckpt)
    return dict(cfg=cfg, cfg_path=cfg_path, ckpt=ckpt)


def mmyolo_letterbox(img, size):
    """MMYOLO's own test-time resize + letterbox, for reference."""
    import mmdet_ext.components  # noqa: F401
    from mmcv.transforms import Compose
    from mmyolo.datasets.transforms import LetterResize, YOLOv5KeepRatioResize
    pipeline = Compose([YOLOv5KeepRatioResize(scale=size),
                        LetterResize(scale=size, allow_scale_up=False, pad_val=dict(img=114))])
    return pipeline(dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2]))


@pytest.mark.parametrize('shape', [(37, 90), (300, 200), (64, 64), (500, 130), (161, 159)])
@pytest.mark.parametrize('size', [(160, 160), (320, 320)])
def test_letterbox_equals_mmyolo_test_pipeline(shape, size):
    from mmdet_ext.inference.preprocess import PreprocessSpec, letterbox
    img = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    ours, box = letterbox(img, PreprocessSpec(input_size=size))
    ref = mmyolo_letterbox(img, size)
    np.testing.assert_array_equal(ours, ref['img'])
    np.testing.assert_allclose((box.scale_x, box.scale_y), ref['scale_factor'])
    assert (box.top, box.left) == (ref['pad_param'][0], ref['pad_param'][2])


def test_spec_from_config_reads_pipeline_and_rejects_unknown_resize(tiny_dataset, tmp_path):
    from mmdet_ext.inference import PreprocessSpec
    cfg = make_tiny_cfg(tiny_dataset, tmp_path, img_size=160)
    spec = PreprocessSpec.from_config(cfg)
    assert spec.input_size == (160, 160) and spec.pad_val == 114 and spec.bgr_to_rgb
    assert spec.std == (255.0, 255.0, 255.0) and not spec.allow_scale_up
    cfg.test_dataloader.dataset.pipeline.insert(1, dict(type='mmdet.RandomFlip', prob=1.0))
    with pytest.raises(ValueError, match='RandomFlip'):
        PreprocessSpec.from_config(cfg)


@pytest.fixture(scope='module')
def exported(model_files, tmp_path_factory):
    """The test model exported by ``tools/deploy.py`` (static 320, ONNX Runtime)."""
    from tools import deploy
    out = tmp_path_factory.mktemp('deploy')
    ckpt, cfg_path = model_files['ckpt'], model_files['cfg_path']
    rc = deploy.main([cfg_path, ckpt, '--deploy-cfg',
                      osp.join(DEPLOY, 'detection_onnxruntime_static-320x320.py'),
                      '--work-dir', str(out), '--num-images', '8', '--deploy-options',
                      f'codebase_config.post_processing.score_threshold={NMS_SCORE}',
                      '--parity-score-thr', str(PARITY_SCORE)])
    return dict(rc=rc, out=out, ckpt=ckpt, cfg_path=cfg_path)


def val_images(tiny_dataset, n=8):
    return [cv2.imread(str(p)) for p in sorted((tiny_dataset / 'images').iterdir())[:n]]


def test_deploy_exports_end_to_end_onnx_with_parity(exported):
    assert exported['rc'] == 0
    out = exported['out']
    graph = onnx.load(str(out / 'end2end.onnx')).graph
    assert 'NonMaxSuppression' in {node.op_type for node in graph.node}  # NMS in the graph
    sidecar = json.load(open(out / 'end2end.json'))
    assert sidecar['preprocess']['input_size'] == [320, 320]  # aligned with the static export
    reports = {r['name']: r for r in json.load(open(out / 'parity.json'))}
    for name in ('end_to_end', 'model_only'):
        assert reports[name]['ok'] and reports[name]['matched'] > 0, reports[name]
        assert reports[name]['min_iou'] > 0.99 and reports[name]['max_score_diff'] < 0.01


def test_detector_backends_agree_and_return_original_pixels(exported, tiny_dataset):
    from mmdet_ext.inference import Detector
    from mmdet_ext.inference.preprocess import PreprocessSpec
    onnx_det = Detector(str(exported['out'] / 'end2end.onnx'), score_thr=PARITY_SCORE)
    torch_det = Detector(exported['ckpt'], config=exported['cfg_path'], score_thr=PARITY_SCORE,
                         spec=PreprocessSpec.load(str(exported['out'] / 'end2end.json')))
    assert (onnx_det.backend, torch_det.backend) == ('onnxruntime', 'pytorch')
    images = val_images(tiny_dataset)
    # A non-square image: boxes must come back in its own pixels.
    images.append(cv2.resize(images[0], (150, 64)))
    found = 0
    for img, a, b in zip(images, onnx_det.predict_batch(images), torch_det.predict_batch(images)):
        assert len(a) == len(b)
        np.testing.assert_allclose(a.boxes, b.boxes, atol=0.05)
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-3)
        h, w = img.shape[:2]
        assert (a.boxes >= 0).all() and (a.boxes[:, [0, 2]] <= w).all() and \
            (a.boxes[:, [1, 3]] <= h).all()
        found += len(a)
    assert found > 0


def test_detector_tile_size_comes_from_the_config_else_the_sidecar_else_the_input(
        exported, tmp_path):
    """The tile side a model is served with: its config's ``inference_tile_size``, else the
    one ``write_sidecar`` stored with the export, else the longer network input side."""
    import shutil

    from mmengine.config import Config

    from mmdet_ext.deploy.export import write_sidecar
    from mmdet_ext.inference import Detector, PreprocessSpec
    onnx_path = str(tmp_path / 'end2end.onnx')
    shutil.copy(exported['out'] / 'end2end.onnx', onnx_path)
    spec = PreprocessSpec.load(str(exported['out'] / 'end2end.json'))
    assert Detector(str(exported['out'] / 'end2end.onnx')).tile_size == 320  # the input
    write_sidecar(onnx_path, spec, exported['ckpt'], tile_size=128)
    assert Detector(onnx_path).tile_size == 128
    cfg = Config.fromfile(exported['cfg_path'])
    assert Detector(exported['ckpt'], config=cfg).tile_size == 160
    cfg.inference_tile_size = 96
    assert Detector(exported['ckpt'], config=cfg).tile_size == 96
    assert Detector(onnx_path, config=cfg).tile_size == 96


def test_parity_catches_wrong_preprocessing(exported, tiny_dataset):
    """RGB fed as BGR with black padding: the network agrees with itself, but end to end the
    exported model no longer matches the config's test pipeline."""
    from dataclasses import replace

    from mmdet.apis import init_detector

    from mmdet_ext.deploy.parity import check_parity, mmdet_reference
    from mmdet_ext.inference import Detector
    onnx_path = str(exported['out'] / 'end2end.onnx')
    good = Detector(onnx_path, score_thr=0.0)
    wrong = Detector(onnx_path, score_thr=0.0,
                     spec=replace(good.spec, bgr_to_rgb=False, pad_val=0.0))
    cfg = make_tiny_cfg(tiny_dataset, exported['out'] / 'w2', img_size=320)
    reference = mmdet_reference(init_detector(cfg, exported['ckpt'], device='cpu'))
    images = [(str(i), img) for i, img in enumerate(val_images(tiny_dataset))]
    ok = check_parity('good', reference, good.predict_raw, images, score_thr=PARITY_SCORE)
    bad = check_parity('wrong', reference, wrong.predict_raw, images, score_thr=PARITY_SCORE)
    assert ok.ok and ok.summary()['matched'] > 0
    assert not bad.ok and bad.problems


def test_dynamic_onnx_runs_batches(model_files, tiny_dataset, tmp_path):
    from mmdet_ext.deploy.export import export_onnx, write_sidecar
    from mmdet_ext.inference import Detector, PreprocessSpec
    from mmengine.config import Config
    ckpt, cfg = model_files['ckpt'], model_files['cfg']
    image = str(sorted((tiny_dataset / 'images').iterdir())[0])
    deploy_cfg = Config.fromfile(osp.join(DEPLOY, 'detection_onnxruntime_dynamic.py'))
    deploy_cfg.codebase_config.post_processing.score_threshold = NMS_SCORE
    path = export_onnx(cfg, ckpt, deploy_cfg, str(tmp_path), image)
    write_sidecar(path, PreprocessSpec.from_config(cfg), ckpt)
    det = Detector(path, score_thr=PARITY_SCORE)
    assert det.runtime.max_batch is None and det.input_size == (160, 160)
    images = val_images(tiny_dataset, 3)
    batched = det.predict_batch(images)
    for img, b in zip(images, batched):
        single = det.predict(img)
        np.testing.assert_allclose(single.boxes, b.boxes, atol=0.05)
        np.testing.assert_allclose(single.scores, b.scores, atol=1e-4)


def test_tensorrt_config_exports_efficient_nms_without_plugins(model_files, tiny_dataset,
                                                               tmp_path):
    """The TensorRT deploy configs put TensorRT's built-in EfficientNMS_TRT in the ONNX (no
    MMDeploy plugin library needed); exporting works without TensorRT or a GPU."""
    from mmdet_ext.deploy.export import export_onnx
    from mmengine.config import Config
    ckpt, cfg = model_files['ckpt'], model_files['cfg']
    image = str(sorted((tiny_dataset / 'images').iterdir())[0])
    deploy_cfg = Config.fromfile(
        osp.join(DEPLOY, 'detection_tensorrt-fp16_dynamic-320x320-1600x1600.py'))
    path = export_onnx(cfg, ckpt, deploy_cfg, str(tmp_path), image)
    ops = {node.op_type for node in onnx.load(path).graph.node}
    assert 'EfficientNMS_TRT' in ops and 'TRTBatchedNMS' not in ops


@pytest.mark.parametrize('name', ['detection_onnxruntime_static-640x640.py',
                                  'detection_onnxruntime_static-960x960.py',
                                  'detection_onnxruntime_static-1280x1280.py',
                                  'detection_tensorrt-fp16_static-640x640.py',
                                  'detection_tensorrt-fp16_static-1280x1280.py'])
def test_static_deploy_configs(name):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(DEPLOY, name))
    size = int(name.rsplit('x', 1)[1][:-3])
    assert tuple(cfg.onnx_config.input_shape) == (size, size)
    assert cfg.onnx_config.opset_version >= 12 and cfg.codebase_config.model_type == 'end2end'
    if 'tensorrt' in name:
        shapes = cfg.backend_config.model_inputs[0].input_shapes.input
        assert shapes.min_shape == shapes.max_shape == [1, 3, size, size]
        assert cfg.backend_config.common_config.fp16_mode and cfg.use_efficientnms


def test_tensorrt_dynamic_profile_covers_320_to_1600():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(DEPLOY, 'detection_tensorrt-fp16_dynamic-320x320-1600x1600.py'))
    shapes = cfg.backend_config.model_inputs[0].input_shapes.input
    assert shapes.min_shape[2:] == [320, 320] and shapes.max_shape[2:] == [1600, 1600]
    assert 'input' in cfg.onnx_config.dynamic_axes


class FakeTensorRT:
    """Just enough of the ``tensorrt`` module (TensorRT 10 API) to run the engine runner on the
    CPU: the "engine" reads its input from the bound address and writes ``dets`` whose score is
    the input's mean, so wrong shapes, dtypes or addresses give wrong numbers."""

    class Logger:
        WARNING = 2

        def __init__(self, level):
            pass

    class TensorIOMode:
        INPUT, OUTPUT = 'input', 'output'

    class DataType:
        class FLOAT:
            name = 'FLOAT'

        class INT32:
            name = 'INT32'

    plugins_initialised = False

    @classmethod
    def init_libnvinfer_plugins(cls, logger, namespace):
        cls.plugins_initialised = True

    class Runtime:
        def __init__(self, logger):
            pass

        def deserialize_cuda_engine(self, blob):
            return FakeEngine() if blob == b'fake-engine' else None


class FakeEngine:
    num_io_tensors = 3
    names = ['input', 'dets', 'labels']

    def get_tensor_name(self, i):
        return self.names[i]

    def get_tensor_mode(self, name):
        return FakeTensorRT.TensorIOMode.INPUT if name == 'input' else 'output'

    def get_tensor_dtype(self, name):
        return FakeTensorRT.DataType.INT32 if name == 'labels' else FakeTensorRT.DataType.FLOAT

    def get_tensor_shape(self, name):
        return (-1, 3, -1, -1)

    def create_execution_context(self):
        return FakeContext()


class FakeContext:
    keep = 4  # boxes per image

    def __init__(self):
        self.shapes, self.addresses = {}, {}

    def set_input_shape(self, name, shape):
        self.shapes[name] = shape

    def set_tensor_address(self, name, address):
        self.addresses[name] = address

    def get_tensor_shape(self, name):
        batch = self.shapes['input'][0]
        return (batch, self.keep, 5) if name == 'dets' else (batch, self.keep)

    def execute_async_v3(self, stream):
        import ctypes
        shape = self.shapes['input']
        size = int(np.prod(shape))
        data = np.ctypeslib.as_array((ctypes.c_float * size).from_address(
            self.addresses['input'])).reshape(shape)
        dets = np.zeros((shape[0], self.keep, 5), np.float32)
        dets[:, :, :4] = [10, 20, 30, 60]
        dets[:, :, 4] = data.mean(axis=(1, 2, 3))[:, None]
        ctypes.memmove(self.addresses['dets'], dets.ctypes.data, dets.nbytes)
        return True


def test_tensorrt_backend_binds_tensors_with_the_tensorrt10_api(tmp_path):
    from mmdet_ext.inference.backends import TensorRTBackend
    engine = tmp_path / 'model.engine'
    engine.write_bytes(b'fake-engine')
    backend = TensorRTBackend(str(engine), device='cpu', trt_module=FakeTensorRT)
    assert FakeTensorRT.plugins_initialised  # EfficientNMS_TRT registered before loading
    assert backend.max_batch is None  # -1 batch: dynamic
    batch = np.random.default_rng(0).random((2, 3, 32, 48), dtype=np.float32)
    dets = backend(batch)
    assert len(dets) == 2 and dets[0].shape == (4, 5)
    np.testing.assert_allclose([d[0, 4] for d in dets], batch.mean(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_array_equal(dets[1][:, :4], [[10, 20, 30, 60]] * 4)
    engine.write_bytes(b'other')
    with pytest.raises(RuntimeError, match='could not deserialize'):
        TensorRTBackend(str(engine), device='cpu', trt_module=FakeTensorRT)


@pytest.mark.parametrize('std,bgr_to_rgb', [((255.0,) * 3, True), ((50.0, 60.0, 70.0), False)])
def test_normalize_equals_the_data_preprocessor_formula(std, bgr_to_rgb):
    from mmdet_ext.inference.preprocess import PreprocessSpec, normalize
    spec = PreprocessSpec((48, 32), mean=(1.0, 2.0, 3.0), std=std, bgr_to_rgb=bgr_to_rgb)
    images = [np.random.default_rng(i).integers(0, 256, (32, 48, 3), dtype=np.uint8)
              for i in range(2)]
    expected = np.stack(images).astype(np.float32)
    expected = expected[..., ::-1] if bgr_to_rgb else expected
    expected = ((expected - spec.mean) / np.float32(std)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(normalize(images, spec), expected, atol=1e-6)


def test_read_image_reduces_large_jpegs_and_keeps_exif_orientation(tmp_path):
    from PIL import Image

    from mmdet_ext.inference.image_io import read_image
    img = np.zeros((1200, 2000, 3), np.uint8)
    img[100:300, 1500:1700] = 255
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[0x0112] = 6  # rotated 90 degrees: upright it is 1200 x 2000
    pil.save(tmp_path / 'rot.jpg', exif=exif, quality=95)
    small, scale = read_image(str(tmp_path / 'rot.jpg'), min_long_side=320)
    assert small.shape[:2] == (500, 300) and scale == (4.0, 4.0)
    full, scale = read_image(str(tmp_path / 'rot.jpg'))
    assert full.shape[:2] == (2000, 1200) and scale == (1.0, 1.0)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    assert read_image(str(tmp_path / 'a.png'), 320)[0].shape[:2] == (1200, 2000)  # not JPEG
    (tmp_path / 'bad.jpg').write_bytes(b'not an image')
    with pytest.raises(ValueError, match='cannot decode'):
        read_image(str(tmp_path / 'bad.jpg'))


def test_predict_file_returns_full_size_pixels(exported, tiny_dataset, tmp_path):
    from mmdet_ext.evaluation.matching import box_iou
    from mmdet_ext.inference import Detector
    det = Detector(str(exported['out'] / 'end2end.onnx'), score_thr=PARITY_SCORE)
    big = cv2.resize(val_images(tiny_dataset, 1)[0], (1280, 1280),
                     interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(tmp_path / 'big.jpg'), big, [cv2.IMWRITE_JPEG_QUALITY, 100])
    from_file = det.predict_file(str(tmp_path / 'big.jpg'))
    in_memory = det.predict(cv2.imread(str(tmp_path / 'big.jpg')))
    assert len(from_file) > 0 and from_file.boxes.max() > 320  # full-size coordinates
    ious = box_iou(from_file.boxes[:3], in_memory.boxes[:3])
    assert (ious.max(axis=1) > 0.8).all()

# Real-photo model at 960 px, stage 2: `yolov8_n_tbank_real_cpu_stage2.py` at the input size
# and with the bfloat16 convolutions of `yolov8_n_tbank_real_cpu_hires.py`, from its stage 1.
_base_ = './yolov8_n_tbank_real_cpu_stage2.py'

load_from = 'work_dirs/real_cpu_hires/epoch_8.pth'  # stage 1 at 960 px
img_scale = (960, 960)  # width, height
# Tiled inference (the service's `--tile-size`, `kfold_real.sh`): 640 px tiles, each enlarged
# to the 960 px input; with 960 px tiles this model failed its fold-1 screening
# (benchmarks/real_model_kfold.md).
inference_tile_size = 640
resized = ('YOLOv5KeepRatioResize', 'LetterResize')

n_pre = len(_base_.pre_transform)
squash = dict(type='mmdet.Resize', scale=img_scale, keep_ratio=False)
train_pipeline = [
    *_base_.pre_transform,
    dict(_base_.train_pipeline[n_pre], transforms=[squash]),  # the squash to a square
    *[dict(t, scale=img_scale) if t['type'] in resized else t
      for t in _base_.train_pipeline[n_pre + 1:]],
]
test_pipeline = [dict(t, scale=img_scale) if t['type'] in resized else t
                 for t in _base_.test_pipeline]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
custom_hooks = [*_base_.custom_hooks, dict(type='AutocastHook')]

# Real-photo model trained on tiles, stage 2: `yolov8_n_tbank_real_cpu_stage2.py` (six more
# epochs, lower rate, squash and colour augmentation) with the tile crop of
# `yolov8_n_tbank_real_cpu_tilecrop.py` before everything else, from that config's stage 1.
_base_ = ['./yolov8_n_tbank_real_cpu_stage2.py', './_base_/tile_crop.py']

load_from = 'work_dirs/real_cpu_tilecrop/epoch_8.pth'  # stage 1 on tiles

tile_transform = dict(
    type='mmcv.RandomApply',
    prob=_base_.tile_prob,
    transforms=[
        dict(_base_.tile_crop, tile_size=_base_.img_scale, small_area=_base_.small_box_area)
    ])
n_pre = len(_base_.pre_transform)
train_pipeline = [*_base_.train_pipeline[:n_pre], tile_transform, *_base_.train_pipeline[n_pre:]]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

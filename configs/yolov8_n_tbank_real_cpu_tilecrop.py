# Real-photo model, stage 1, trained on tiles: `yolov8_n_tbank_real_cpu.py` with a 640 px tile
# cut at full resolution from the (up to 1280 px) photos 70 % of the time, placed on a
# (preferably small) logo 70 % of the time, as tiled inference (`tools/test.py --tile-size 640`)
# sees the photo; otherwise the photo is used whole (downscaled), as tiled inference's
# full-image pass sees it (`_base_/tile_crop.py`). Aimed at the logos under 32 px that one
# 640 px pass misses (benchmarks/real_model_kfold.md). Images smaller than a tile are padded,
# not enlarged.
_base_ = ['./yolov8_n_tbank_real_cpu.py', './_base_/tile_crop.py']

tile_transform = dict(
    type='mmcv.RandomApply',
    prob=_base_.tile_prob,
    transforms=[  # tile = network input, as at inference
        dict(_base_.tile_crop, tile_size=_base_.img_scale, small_area=_base_.small_box_area)
    ])
n_pre = len(_base_.pre_transform)
train_pipeline = [*_base_.train_pipeline[:n_pre], tile_transform, *_base_.train_pipeline[n_pre:]]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

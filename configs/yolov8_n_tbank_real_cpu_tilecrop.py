# Real-photo model, stage 1, trained on tiles: `yolov8_n_tbank_real_cpu.py` with a 640 px tile
# cut at full resolution from the (up to 1280 px) photos 70 % of the time, placed on a
# (preferably small) logo 70 % of the time, as tiled inference (`tools/test.py --tile-size 640`)
# sees the photo; otherwise the photo is used whole (downscaled), as tiled inference's
# full-image pass sees it. Aimed at the logos under 32 px that one 640 px pass misses
# (benchmarks/real_model_kfold.md). Images smaller than a tile are padded, not enlarged.
_base_ = './yolov8_n_tbank_real_cpu.py'

tile_prob = 0.7  # chance that an image is tiled (else used whole)
tile_object_prob = 0.7  # chance that a tile is placed on a box (small boxes 4x as likely)
tile_min_visible = 0.6  # a box cut by the tile border is kept if 60 % of it stays inside

tile_transform = dict(
    type='mmcv.RandomApply',
    prob=tile_prob,
    transforms=[
        dict(type='RandomTileCrop',
             tile_size=_base_.img_scale,  # tile = network input, as at inference
             object_prob=tile_object_prob,
             small_area=_base_.small_box_area,
             min_visible=tile_min_visible)
    ])
n_pre = len(_base_.pre_transform)
train_pipeline = [*_base_.train_pipeline[:n_pre], tile_transform, *_base_.train_pipeline[n_pre:]]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

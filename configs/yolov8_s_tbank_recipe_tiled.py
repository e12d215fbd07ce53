# The YOLOv8-s T-Bank recipe trained on tiles of large photos, as tiled inference sees them
# (mmdet_ext.inference.tiled_predict: network-size tiles plus a downscaled full-image pass).
# RandomTileCrop cuts an img_scale tile at full resolution, placed on a (preferably small)
# logo 70 % of the time, before Mosaic / resize; with probability 1 - tile_prob an image is
# used whole (downscaled), as the full-image pass sees it. Images smaller than a tile are
# padded (bottom / right), not enlarged. Validation stays on whole images. Tile settings:
# `_base_/tile_crop.py`.
_base_ = ['./yolov8_s_tbank_recipe.py', './_base_/tile_crop.py']

img_scale = _base_.img_scale  # (640, 640): tile = network input, as at inference

# ===============================Unmodified in most cases====================
tile_pre_transform = [
    *_base_.pre_transform,
    dict(
        type='mmcv.RandomApply',
        prob=_base_.tile_prob,
        transforms=[
            dict(_base_.tile_crop, tile_size=img_scale, small_area=_base_.small_box_area)
        ]),
]
# MMYOLO's YOLOv8 pipelines with the tile crop after loading, also for Mosaic's other images.
train_pipeline = [
    *tile_pre_transform,
    dict(type='Mosaic', img_scale=img_scale, pad_val=114.0, pre_transform=tile_pre_transform),
    dict(
        type='YOLOv5RandomAffine',
        max_rotate_degree=0.0,
        max_shear_degree=0.0,
        scaling_ratio_range=(1 - _base_.affine_scale, 1 + _base_.affine_scale),
        max_aspect_ratio=_base_.max_aspect_ratio,
        border=(-img_scale[0] // 2, -img_scale[1] // 2),  # img_scale is (width, height)
        border_val=(114, 114, 114)),
    *_base_.last_transform,
]
train_pipeline_stage2 = [
    *tile_pre_transform,
    dict(type='YOLOv5KeepRatioResize', scale=img_scale),
    dict(type='LetterResize', scale=img_scale, allow_scale_up=True, pad_val=dict(img=114.0)),
    dict(
        type='YOLOv5RandomAffine',
        max_rotate_degree=0.0,
        max_shear_degree=0.0,
        scaling_ratio_range=(1 - _base_.affine_scale, 1 + _base_.affine_scale),
        max_aspect_ratio=_base_.max_aspect_ratio,
        border_val=(114, 114, 114)),
    *_base_.last_transform,
]

# the TBankLogoDataset inside the SmallObjectRepeatDataset wrapper
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
_base_.custom_hooks[1].switch_pipeline = train_pipeline_stage2  # MMYOLO's Mosaic switch

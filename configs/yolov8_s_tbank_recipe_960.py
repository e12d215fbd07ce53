# The YOLOv8-s T-Bank recipe at 960 px input: a 20 px logo in a 3000 px photo keeps 1.5x the
# pixels it has at 640. The model is unchanged; every pipeline is re-stated at the new size
# (a child's `img_scale` does not reach the dicts its parents already built from theirs).
_base_ = './yolov8_s_tbank_recipe.py'

img_scale = (960, 960)  # width, height

# ===============================Unmodified in most cases====================
# MMYOLO's YOLOv8 pipelines (pre_transform / last_transform do not depend on the size).
train_pipeline = [
    *_base_.pre_transform,
    dict(type='Mosaic', img_scale=img_scale, pad_val=114.0, pre_transform=_base_.pre_transform),
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
    *_base_.pre_transform,
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
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=_base_.backend_args),
    dict(type='YOLOv5KeepRatioResize', scale=img_scale),
    dict(type='LetterResize', scale=img_scale, allow_scale_up=False, pad_val=dict(img=114)),
    dict(type='LoadAnnotations', with_bbox=True, _scope_='mmdet'),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'pad_param')),
]

# the TBankLogoDataset inside the SmallObjectRepeatDataset wrapper
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
_base_.custom_hooks[1].switch_pipeline = train_pipeline_stage2  # MMYOLO's Mosaic switch

# The YOLOv8-s T-Bank recipe at 1280 px input: twice the pixels per logo of 640, four times the
# memory. Half the batch per GPU with two accumulated iterations keeps the total batch (and so
# the lr) of the 640 recipe. Every pipeline is re-stated at the new size (a child's
# `img_scale` does not reach the dicts its parents already built from theirs).
_base_ = './yolov8_s_tbank_recipe.py'

img_scale = (1280, 1280)  # width, height
train_batch_size_per_gpu = 8
accumulative_counts = 2
total_batch_size = train_batch_size_per_gpu * _base_.num_gpus * accumulative_counts
lr = _base_.base_lr * total_batch_size / _base_.lr_base_batch_size  # = the 640 recipe's

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
train_dataloader = dict(
    batch_size=train_batch_size_per_gpu, dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
_base_.custom_hooks[1].switch_pipeline = train_pipeline_stage2  # MMYOLO's Mosaic switch

optim_wrapper = dict(
    accumulative_counts=accumulative_counts,
    optimizer=dict(lr=lr, batch_size_per_gpu=train_batch_size_per_gpu))
_base_.param_scheduler[1].eta_min = lr * _base_.min_lr_ratio

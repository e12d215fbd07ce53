# CPU demo: YOLOv8-n at 320 px trained from scratch on the embedded synthetic data
# (`make demo` generates it into data/synthetic_demo/). Sized to train in minutes on 2 cores.
_base_ = './yolov8_n_tbank.py'

data_root = 'data/synthetic_demo/'
img_scale = (320, 320)  # width, height

max_epochs = 30
close_mosaic_epochs = 5
save_epoch_intervals = 10
train_batch_size_per_gpu = 16
train_num_workers = 2
persistent_workers = True
base_lr = 0.01

# Same transforms as MMYOLO's YOLOv8, at 320 px and with a milder scale jitter: the
# synthetic logos already span tiny to half-image sizes.
affine_scale = 0.5
pre_transform = _base_.pre_transform
last_transform = _base_.last_transform

mosaic_affine_pipeline = [
    dict(type='Mosaic', img_scale=img_scale, pad_val=114.0, pre_transform=pre_transform),
    dict(type='YOLOv5RandomAffine',
         max_rotate_degree=0.0,
         max_shear_degree=0.0,
         scaling_ratio_range=(1 - affine_scale, 1 + affine_scale),
         max_aspect_ratio=100,
         border=(-img_scale[0] // 2, -img_scale[1] // 2),
         border_val=(114, 114, 114)),
]
train_pipeline = [*pre_transform, *mosaic_affine_pipeline, *last_transform]
train_pipeline_stage2 = [
    *pre_transform,
    dict(type='YOLOv5KeepRatioResize', scale=img_scale),
    dict(type='LetterResize', scale=img_scale, allow_scale_up=True, pad_val=dict(img=114.0)),
    dict(type='YOLOv5RandomAffine',
         max_rotate_degree=0.0,
         max_shear_degree=0.0,
         scaling_ratio_range=(1 - affine_scale, 1 + affine_scale),
         max_aspect_ratio=100,
         border_val=(114, 114, 114)),
    *last_transform,
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='YOLOv5KeepRatioResize', scale=img_scale),
    dict(type='LetterResize', scale=img_scale, allow_scale_up=False, pad_val=dict(img=114)),
    dict(type='LoadAnnotations', with_bbox=True, _scope_='mmdet'),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                    'pad_param')),
]

train_dataloader = dict(
    batch_size=train_batch_size_per_gpu,
    num_workers=train_num_workers,
    persistent_workers=persistent_workers,
    pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=train_num_workers,
    persistent_workers=persistent_workers,
    pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + _base_.val_ann_file)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=base_lr, batch_size_per_gpu=train_batch_size_per_gpu))
default_hooks = dict(
    # MMYOLO warms up for at least 1000 iterations, longer than this whole schedule.
    param_scheduler=dict(max_epochs=max_epochs, warmup_mim_iter=50),
    checkpoint=dict(interval=save_epoch_intervals, max_keep_ckpts=1),
    logger=dict(interval=10))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, update_buffers=True,
         strict_load=False, priority=49),
    dict(type='mmdet.PipelineSwitchHook', switch_epoch=max_epochs - close_mosaic_epochs,
         switch_pipeline=train_pipeline_stage2),
]
train_cfg = dict(
    max_epochs=max_epochs,
    val_interval=save_epoch_intervals,
    dynamic_intervals=[((max_epochs - close_mosaic_epochs), save_epoch_intervals)])

# Real-photo model for this 2-core CPU: the synthetic demo model (`make demo`) fine-tuned at
# 640 px on the real development photos (deduplicated, split by photo) plus the synthetic
# training set, with the recipe's size-weighted box loss, small-logo repeat sampling and one
# round of hard-negative mining. Data preparation and the full command: README, "Real photos".
_base_ = './yolov8_n_tbank_demo_cpu.py'

# ========================Frequently modified parameters======================
# Built by the README's data commands: the real train split merged with the synthetic train
# set (one folder), and the real validation split (photos never used for training).
data_root = 'data/real_train/'
train_ann_file = 'annotations.json'
val_data_root = 'data/real_1280/'
val_ann_file = 'val.json'
img_scale = (640, 640)  # width, height: real logos are 2-10x smaller than synthetic ones

# Start from the synthetic demo model (same architecture; no download needed). Without it,
# pass `--cfg-options load_from=None` to train from scratch (needs a longer schedule).
load_from = 'work_dirs/demo/epoch_8.pth'

max_epochs = 8
val_interval = 2
train_batch_size_per_gpu = 8
base_lr = 0.001  # half the demo's: fine-tuning, not training from scratch
affine_scale = 0.5  # wider scale jitter: real logos span 5-600 px

small_box_area = 32 * 32  # pixels² of the (up to 1280 px) training image
small_repeat_factor = 2.0
mining_epoch = 2  # one round of hard-negative mining on the training negatives
mining_score_thr = 0.25
mining_weight = 2.0

# ===============================Unmodified in most cases====================
model = dict(
    bbox_head=dict(
        loss_bbox=dict(
            _delete_=True,
            type='SmallObjectWeightedIoULoss',
            alpha=1.0,
            ref_area=small_box_area,
            max_weight=2.0,
            iou_mode='ciou',
            bbox_format='xyxy',
            reduction='sum',
            loss_weight=_base_.loss_bbox_weight,
            return_iou=False)))

train_pipeline = [
    *_base_.pre_transform,
    dict(type='YOLOv5KeepRatioResize', scale=img_scale),
    dict(type='LetterResize', scale=img_scale, allow_scale_up=True, pad_val=dict(img=114.0)),
    dict(type='YOLOv5RandomAffine',
         max_rotate_degree=0.0,
         max_shear_degree=0.0,
         scaling_ratio_range=(1 - affine_scale, 1 + affine_scale),
         max_aspect_ratio=100,
         border_val=(114, 114, 114)),
    *_base_.last_transform,
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
    dataset=dict(
        _delete_=True,
        type='SmallObjectRepeatDataset',
        small_area=small_box_area,
        small_factor=small_repeat_factor,
        dataset=dict(
            type=_base_.dataset_type,
            data_root=data_root,
            metainfo=_base_.metainfo,
            ann_file=train_ann_file,
            data_prefix=dict(img=_base_.data_prefix),
            filter_cfg=dict(filter_empty_gt=False, min_size=0),
            pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(data_root=val_data_root, ann_file=val_ann_file, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=val_data_root + val_ann_file)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=base_lr))
default_hooks = dict(
    param_scheduler=dict(max_epochs=max_epochs, warmup_epochs=0, warmup_mim_iter=50,
                         warmup_bias_lr=base_lr),
    checkpoint=dict(interval=val_interval, max_keep_ckpts=2))
custom_hooks = [
    *_base_.custom_hooks,  # EMA
    dict(type='HardNegativeMiningHook',
         pool='train_negatives',
         interval=max_epochs,  # once
         start_epoch=mining_epoch,
         score_thr=mining_score_thr,
         weight=mining_weight),
    dict(type='ReproducibilityHook'),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=val_interval)

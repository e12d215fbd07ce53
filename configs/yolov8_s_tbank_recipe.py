# YOLOv8-s T-Bank training recipe, 640 px: AdamW + cosine (parent config) with the plugin's
# small-object components: size-weighted box loss, repeat sampling of images with small logos,
# backbone freeze -> unfreeze, hard-negative mining, a reproducibility record, early stopping.
# Variants: yolov8_s_tbank_recipe_{960,1280,tiled}.py, yolov8_m_tbank_recipe.py.
_base_ = './yolov8_s_tbank_adamw_cosine.py'

# ========================Frequently modified parameters======================
# Fine-tuning from MMYOLO's COCO-trained YOLOv8-s is recommended when it can be downloaded
# (the 80-class head is skipped on load, with a warning per mismatched tensor):
# load_from = 'https://download.openmmlab.com/mmyolo/v0/yolov8/yolov8_s_syncbn_fast_8xb16-500e_coco/yolov8_s_syncbn_fast_8xb16-500e_coco_20230117_180101-5aa5f0f1.pth'  # noqa
# Nothing is downloaded by default: the recipe trains from scratch.
load_from = None
freeze_epochs = 3  # the backbone is frozen (BN in eval mode) for the first epochs
# Box loss: a positive's weight grows up to max_weight as its box shrinks below ref_area px².
small_box_area = 32 * 32
small_box_max_weight = 2.0
# Sampling: an epoch shows an image with a box below small_box_area `small_repeat_factor` times.
small_repeat_factor = 3.0
# Hard-negative mining on the training negatives: after epoch 20, then every 10 epochs, the
# negatives the model fires on (score >= 0.3) are sampled 3x as often.
mining_start_epoch = 20
mining_interval = 10
mining_score_thr = 0.3
mining_weight = 3.0
# Stop when the checkpoint-selection metric (F1 at the calibrated threshold) has not improved
# by min_delta for `patience` validations (every 5 epochs, every epoch after Mosaic closes).
early_stop_metric = 'tbank/best_f1'
early_stop_patience = 5
early_stop_min_delta = 0.002

# ===============================Unmodified in most cases====================
model = dict(
    bbox_head=dict(
        loss_bbox=dict(
            _delete_=True,
            type='SmallObjectWeightedIoULoss',
            alpha=1.0,
            ref_area=small_box_area,
            max_weight=small_box_max_weight,
            iou_mode='ciou',
            bbox_format='xyxy',
            reduction='sum',
            loss_weight=_base_.loss_bbox_weight,
            return_iou=False)))

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='SmallObjectRepeatDataset',
        small_area=small_box_area,
        small_factor=small_repeat_factor,
        dataset=_base_.train_dataloader.dataset))

# MMYOLO's EMA and Mosaic switch (custom_hooks[0:2]) are kept; the switch stays at index 1,
# where the size variants re-set its pipeline.
custom_hooks = [
    *_base_.custom_hooks,
    dict(type='FreezeBackboneHook', freeze_epochs=freeze_epochs),
    dict(
        type='HardNegativeMiningHook',
        pool='train_negatives',
        interval=mining_interval,
        start_epoch=mining_start_epoch,
        score_thr=mining_score_thr,
        weight=mining_weight),
    dict(type='ReproducibilityHook'),
    dict(
        type='EarlyStoppingHook',
        monitor=early_stop_metric,
        rule='greater',
        min_delta=early_stop_min_delta,
        patience=early_stop_patience),
]

# Frozen parameters get no gradient: DistributedDataParallel must expect unused parameters.
find_unused_parameters = True

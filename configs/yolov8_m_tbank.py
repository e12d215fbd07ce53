# YOLOv8-m: the YOLOv8-s T-Bank recipe at MMYOLO's m scale.
_base_ = './yolov8_s_tbank.py'

deepen_factor = 0.67
widen_factor = 0.75
last_stage_out_channels = 768

model = dict(
    backbone=dict(
        last_stage_out_channels=last_stage_out_channels,
        deepen_factor=deepen_factor,
        widen_factor=widen_factor),
    neck=dict(
        deepen_factor=deepen_factor,
        widen_factor=widen_factor,
        in_channels=[256, 512, last_stage_out_channels],
        out_channels=[256, 512, last_stage_out_channels]),
    bbox_head=dict(
        head_module=dict(
            widen_factor=widen_factor,
            in_channels=[256, 512, last_stage_out_channels])))

# The YOLOv8-s T-Bank recipe with MMYOLO's YOLOv8-m backbone, neck and head widths (as
# yolov8_m_tbank.py does for the plain config): the larger model for the final detector.
_base_ = './yolov8_s_tbank_recipe.py'

deepen_factor = 0.67
widen_factor = 0.75
last_stage_out_channels = 768
# MMYOLO's COCO-trained YOLOv8-m, for fine-tuning (see yolov8_s_tbank_recipe.py):
# load_from = 'https://download.openmmlab.com/mmyolo/v0/yolov8/yolov8_m_syncbn_fast_8xb16-500e_coco/yolov8_m_syncbn_fast_8xb16-500e_coco_20230115_192200-c22e560a.pth'  # noqa

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

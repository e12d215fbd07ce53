# Dynamic batch and image size (the letterbox still makes every image of a batch one size).
_base_ = ['./yolov8_end2end.py']
onnx_config = dict(
    dynamic_axes=dict(
        input={0: 'batch', 2: 'height', 3: 'width'},
        dets={0: 'batch', 1: 'num_dets'},
        labels={0: 'batch', 1: 'num_dets'}))

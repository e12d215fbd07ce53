# ONNX Runtime, static 320x320 input, batch 1, NMS inside the graph.
_base_ = ['./_base_/yolov8_end2end.py', './_base_/onnxruntime.py']
onnx_config = dict(input_shape=(320, 320))

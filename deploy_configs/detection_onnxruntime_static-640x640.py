# ONNX Runtime, static 640x640 input, batch 1, NMS inside the graph.
_base_ = ['./_base_/yolov8_end2end.py', './_base_/onnxruntime.py']
onnx_config = dict(input_shape=(640, 640))

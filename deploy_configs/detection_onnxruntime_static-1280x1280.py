# ONNX Runtime, static 1280x1280 input, batch 1, NMS inside the graph.
_base_ = ['./_base_/yolov8_end2end.py', './_base_/onnxruntime.py']
onnx_config = dict(input_shape=(1280, 1280))

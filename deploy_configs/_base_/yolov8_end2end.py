# MMDeploy base for this project's YOLOv8 models: end-to-end ONNX (NMS inside the graph).
# NMS matches the models' test_cfg (IoU 0.7, as MMYOLO's YOLOv8) so that exported and PyTorch
# detections agree (tools/deploy.py checks it); scores under 0.05 never matter for a logo
# detector whose calibrated threshold is ~0.3-0.5, and dropping them keeps NMS cheap.
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=12,
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['dets', 'labels'],
    input_shape=None,  # (width, height) in static configs
    optimize=True)
codebase_config = dict(
    type='mmyolo',
    task='ObjectDetection',
    model_type='end2end',
    post_processing=dict(
        score_threshold=0.05,
        confidence_threshold=0.005,
        iou_threshold=0.7,
        max_output_boxes_per_class=200,
        pre_top_k=5000,
        keep_top_k=100,
        background_label_id=-1),
    module=['mmyolo.deploy'])

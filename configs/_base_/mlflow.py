# MLflow logging through MMEngine's MLflowVisBackend, to a local file store: no server.
# Optional: needs the MLflow client in the training environment,
#     pip install mlflow-skinny 'protobuf==3.20.2'
# (the full `mlflow` package would upgrade protobuf past what onnx / MMDeploy accept here).
# Switch it on with `tools/train.py CONFIG --mlflow`, or in a config:
#     _base_ = ['./yolov8_s_tbank_recipe.py', './_base_/mlflow.py']
#     visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), _base_.mlflow_vis_backend])
# MLflow 3 refuses the file store unless MLFLOW_ALLOW_FILE_STORE=true (--mlflow sets it; export
# it when the backend comes from a config). Browse the runs with
# `mlflow ui --backend-store-uri work_dirs/mlruns` (full mlflow, in its own environment).
mlflow_vis_backend = dict(
    type='MLflowVisBackend',
    # One store for every run, relative to where training is started (MLflow's own default is
    # ./mlruns); with tracking_uri unset MMEngine logs to file://<absolute save_dir>.
    save_dir='work_dirs/mlruns',
    exp_name='tbank_logo',
    run_name=None,  # tools/train.py names the run after the work dir
    # Files of the work dir logged as artifacts at the end (config dump, logs, env.json,
    # hard_negatives.json); not 'yaml', which would pick up the store's own meta.yaml files
    # when the store lies inside the work dir.
    artifact_suffix=('.json', '.log', '.py'))

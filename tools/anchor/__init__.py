"""The Ultralytics anchor benchmark (``tools/benchmark_anchor.py``).

* :mod:`.env` makes the throw-away virtual environment Ultralytics lives in: it is never a
  dependency of this project, so it is installed outside the repository and run as a subprocess.
* :mod:`.worker` is the script run *inside* that environment (it must not import this project).
* :mod:`.common` is the stdlib-only code both sides share (statistics, ONNX Runtime threads).
* :mod:`.report` turns the timings into ``benchmarks/anchor_ultralytics.{json,md}``.
"""

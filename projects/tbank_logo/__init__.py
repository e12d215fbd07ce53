"""T-Bank logo detector: the T-Bank specifics on top of the generic ``mmdet_ext`` plugin.

* :mod:`projects.tbank_logo.components` — dataset and metric registered with MMYOLO
  (configs import it through ``custom_imports``);
* :mod:`projects.tbank_logo.synthetic` — the synthetic-data generator (numpy/OpenCV/Pillow only).
"""

# Two commands set up everything on a fresh machine:
#   make demo   install, synthesise data, train the CPU demo model, evaluate it
#   make test   install, run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test demo real real-kfold real-ensemble clean-demo serve serve-ensemble

install: $(STAMP)

# Re-run the installer only when what it installs changed.
$(STAMP): setup.py requirements/*.txt tools/setup/*.sh
	VENV=$(VENV) bash tools/setup/install.sh
	touch $@

test: install
	$(PY) -m pytest tests -q

demo: install
	PYTHON=$(PY) bash tools/demo.sh

# The real-photo model (needs ../shared/data/real or REAL_ROOT=...; runs `demo` first if needed;
# `RECIPE=NAME` trains configs/yolov8_n_tbank_real_cpu_NAME{,_stage2}.py instead).
real: install
	RECIPE=$(RECIPE) PYTHON=$(PY) bash tools/train_real.sh

# A 5-fold estimate of the real-photo recipe (after `real`; 1-2 h a fold on 2 CPU cores,
# resumable: re-run to continue; a fold whose predictions are saved in benchmarks/ is done).
# `make real-kfold FOLDS="1 2"` trains only those folds; `RECIPE=NAME` (after `demo`) estimates
# the variant configs/yolov8_n_tbank_real_cpu_NAME{,_stage2}.py.
real-kfold: install
	RECIPE=$(RECIPE) PYTHON=$(PY) bash tools/kfold_real.sh $(FOLDS)

# The k-fold estimate of an ensemble of recipes (`make real-ensemble RECIPES="hires geom"`), from
# the predictions that `make real-kfold RECIPE=NAME` saved for each (tools/ensemble_kfold.py).
real-ensemble: install
	$(PY) tools/ensemble_kfold.py $(RECIPES)

clean-demo:
	rm -rf data/synthetic_demo work_dirs/demo

# `make serve [MODEL=...] [CONFIG=...] [PORT=...] [SERVE_ARGS='--timeout 8 ...']`: the
# detection service on the demo model exported by `make demo` (ONNX Runtime, with its calibrated
# threshold); any Detector model works: .onnx, .engine, or a .pth with CONFIG.
MODEL ?= work_dirs/demo/deploy/end2end.onnx
CONFIG ?= configs/yolov8_n_tbank_demo_cpu.py
PORT ?= 8000
serve: install
	@test -f $(MODEL) || { echo "no model at $(MODEL): run 'make demo' first"; exit 1; }
	$(PY) tools/serve.py --model $(MODEL) --config $(CONFIG) --port $(PORT) $(SERVE_ARGS)

# `make serve-ensemble [PORT=...] [SERVE_ARGS=...]`: the ensemble that meets the real-photo target
# (benchmarks/real_model_kfold.md), once `make real RECIPE=hires` and `make real RECIPE=geom` have
# exported its two members: served together, at the F1-best threshold of the five folds' fused
# predictions (0.362, pooled, reviewed labels), each member's untiled images seen in one pass as
# when that threshold was picked.
ENSEMBLE_THR ?= 0.362
ENSEMBLE := hires geom
# $(call member,NAME): the export of `make real RECIPE=NAME`
member = work_dirs/real_cpu_$(1)_stage2/deploy/end2end.onnx
serve-ensemble: install
	@$(foreach r,$(ENSEMBLE),test -f $(call member,$(r)) || \
	  { echo "no $(call member,$(r)): run 'make real RECIPE=$(r)' first"; exit 1; };)
	$(PY) tools/serve.py $(foreach r,$(ENSEMBLE),--model $(call member,$(r))) \
	  --score-thr $(ENSEMBLE_THR) --port $(PORT) $(SERVE_ARGS)

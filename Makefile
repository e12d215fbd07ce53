# Two commands set up everything on a fresh machine:
#   make demo   install, synthesise data, train the CPU demo model, evaluate it
#   make test   install, run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test demo real real-kfold real-ensemble release-train release clean-demo serve

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

# The release in weights/ (tracked; weights/README.md). `make release-train RECIPE=NAME` trains
# one member on every real photo (two stages of under 90 min, resumable; after `demo`);
# `make release [RELEASE_MEMBERS="hires geom"]` (the shipped pair) exports the members into weights/ with
# the threshold of their k-fold predictions, ensemble.json and manifest.json.
release-train: install
	RECIPE=$(RECIPE) PYTHON=$(PY) bash tools/train_release.sh
RELEASE_MEMBERS ?= hires geom
release: install
	RELEASE_MEMBERS="$(RELEASE_MEMBERS)" PYTHON=$(PY) bash tools/build_release.sh

# `make serve [MODEL=...] [CONFIG=...] [PORT=...] [SERVE_ARGS='--timeout 8 ...']`: the
# detection service on the release in weights/ (its members, threshold and path, checked
# against weights/manifest.json); MODEL=work_dirs/demo/deploy/end2end.onnx serves the demo
# model instead (any Detector model: .onnx, .engine, or a .pth with CONFIG).
PORT ?= 8000
serve: install
	@test -z "$(MODEL)" -o -f "$(MODEL)" || { echo "no model at $(MODEL)"; exit 1; }
	$(PY) tools/serve.py $(if $(MODEL),--model $(MODEL)) $(if $(CONFIG),--config $(CONFIG)) \
	  --port $(PORT) $(SERVE_ARGS)

# Waypoint: `make run` to talk to the assistant, `make test` to run every check.
# Each target builds what it needs first and skips what is already up to date.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(PY) -m rasa
# The spaCy pipeline's folder is named in config.yml (SpacyNLP's `model`), the one place it lives.
SPACY_MODEL := $(shell sed -n 's|^ *model: *\(build/spacy/[^ ]*\).*|\1|p' config.yml | head -n 1)
# Emergency responses are generated from their templates (see data/safety/crisis_replies.yml).
SAFETY_DOMAIN := domain/safety.yml
# Other responses that name an emergency number or a US-only service get one variation per region,
# generated into marked blocks of their own domain files (see data/safety/regional_responses.yml).
# The stamp records when the blocks were last written.
REGIONAL_STAMP := build/regional.stamp
REGIONAL_INPUTS := data/safety/regional_responses.yml data/safety/crisis_replies.yml \
  safety/regional.py safety/replies.py $(shell grep -rl '^ *# BEGIN generated:' domain 2>/dev/null)
GENERATED := $(SAFETY_DOMAIN) $(REGIONAL_STAMP)
# Our own graph components (components/, safety/) are inputs too: their code shapes the model.
TRAINING_INPUTS := config.yml $(GENERATED) $(shell find domain data safety components -type f -not -name '*.pyc' 2>/dev/null)

HOST ?= 127.0.0.1
PORT ?= 5005
ACTIONS_PORT ?= 5055
WEB_PORT ?= 8080

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: help install spacy train run shell test validate pytest chromium test-stories eval cv bench lock clean

help:
	@echo "make run     set up everything, train if needed, start the assistant on $(HOST):$(PORT)"
	@echo "make test    set up everything, train if needed, run every check"
	@echo "make shell   chat with the assistant in this terminal"
	@echo "make eval    held-out questions through the assistant; accuracy per topic"
	@echo "make cv      NLU 5-fold cross-validation; macro F1 on intents"
	@echo "make bench   train, start and load-test; prints timings and memory"
	@echo "make train   train only (skipped when data and config are unchanged)"
	@echo "make widget  build the chat widget and its demo page into build/web/"
	@echo "make clean   remove the venv, the built spaCy pipeline, models and results"

# --- set-up -------------------------------------------------------------------------------------

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements.lock scripts/find-python.sh
	@python=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; $$python -m venv $(VENV) || exit 1; fi
	@echo "Installing pinned dependencies into $(VENV) (the first time takes a few minutes) ..."
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	@touch $@

spacy: $(SPACY_MODEL)/meta.json

$(SPACY_MODEL)/meta.json: $(VENV)/.installed spacy_pipeline/build.py
	$(PY) -m spacy_pipeline.build $(SPACY_MODEL)

$(SAFETY_DOMAIN): data/safety/crisis_replies.yml safety/replies.py $(VENV)/.installed
	$(PY) -m safety.replies

$(REGIONAL_STAMP): $(REGIONAL_INPUTS) $(VENV)/.installed
	$(PY) -m safety.regional
	@mkdir -p $(@D) && touch $@

# Rasa fingerprints every graph component and retrains only what changed; the stamp lets us skip
# even starting Rasa when no training input is newer than the last model.
train: models/.trained

# The stamp carries the time training started, so a file edited during training is seen next time.
models/.trained: $(VENV)/.installed $(SPACY_MODEL)/meta.json $(TRAINING_INPUTS)
	@mkdir -p models && touch models/.train-started
	$(RASA) train --domain domain --out models
	@mv models/.train-started $@

# --- use ----------------------------------------------------------------------------------------

run: train widget
	@mkdir -p var
	@HOST=$(HOST) PORT=$(PORT) ACTIONS_PORT=$(ACTIONS_PORT) WEB_PORT=$(WEB_PORT) scripts/run.sh

shell: train
	@mkdir -p var
	@HOST=$(HOST) PORT=$(PORT) ACTIONS_PORT=$(ACTIONS_PORT) scripts/run.sh --shell

# --- checks -------------------------------------------------------------------------------------

test: validate pytest test-stories
	@echo "All checks passed."

validate: $(VENV)/.installed $(GENERATED)
	$(PY) scripts/validate_data.py

pytest: train widget chromium
	$(PY) -m pytest tests

# The browser tests drive Debian's Chromium: installed with apt when missing (as root), else a
# clear error; never a skipped test.
chromium:
	@scripts/ensure-chromium.sh

# End-to-end test stories through the trained model; any wrong prediction fails the run.
test-stories: train
	$(RASA) test core --stories tests/stories --fail-on-prediction-errors --out results/stories

# NLU 5-fold cross-validation (issue 4's bar); reports in results/cv/ (intent_report.json).
cv: $(VENV)/.installed $(SPACY_MODEL)/meta.json $(GENERATED)
	$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 \
	  --out results/cv
	@$(PY) -c "import json; r = json.load(open('results/cv/intent_report.json')); \
	  print(f\"intent macro F1 {r['macro avg']['f1-score']:.3f}, accuracy {r['accuracy']:.3f}\")"

# Held-out questions (tests/eval/questions.yml), never tuned to: accuracy per topic.
eval: train
	$(PY) scripts/eval_questions.py

bench: $(VENV)/.installed $(SPACY_MODEL)/meta.json $(GENERATED) train widget chromium
	$(PY) scripts/bench.py
	$(PY) scripts/bench_detector.py
	$(PY) scripts/bench_widget.py

# Refresh requirements.lock after changing requirements.txt.
lock: $(VENV)/.installed
	@(echo "# Generated by 'make lock' from requirements.txt on Python 3.10; do not edit by hand."; \
	  $(PY) -m pip freeze --exclude-editable) > requirements.lock

clean:
	rm -rf $(VENV) build models results .pytest_cache web/node_modules

# --- the website chat widget (web/README.md) -------------------------------------------------------

.PHONY: widget
WIDGET_INPUTS := web/src web/demo $(wildcard web/src/* web/demo/*) web/build.py \
  data/safety/crisis_replies.yml

# The widget's page, script and stylesheet in build/web/ (served by `make run` when built).
widget: build/web/index.html

# npm ci writes web/node_modules/.package-lock.json; installing again only when the lockfile changes.
web/node_modules/.package-lock.json: web/package-lock.json
	npm ci --prefix web --ignore-scripts --no-audit --no-fund
	@touch $@

build/web/index.html: $(VENV)/.installed web/node_modules/.package-lock.json $(WIDGET_INPUTS)
	$(PY) web/build.py

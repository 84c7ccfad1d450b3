# The two commands a newcomer needs:
#   make run    set up, migrate the SQLite database, start the app on http://127.0.0.1:8501
#   make test   set up, build the course's models, check every track against its syllabus, validate
#               every exercise, run the whole test suite on SQLite, and the
#               database-touching tests again on a throwaway PostgreSQL server (about 6 more minutes)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SHARED_CORPUS := ../shared/data/tinyshakespeare.txt

.PHONY: run test test-postgres setup system-deps-run system-deps-test migrate validate corpus models coverage bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

system-deps-run:
	scripts/system-deps.sh run

system-deps-test:
	scripts/system-deps.sh test

migrate: setup
	$(PY) -m db upgrade

# Copies the shared corpus into the data folder when it is beside the project (CI, dev boxes).
corpus: setup
	@if [ -f $(SHARED_CORPUS) ]; then $(PY) -m courseware corpus add $(SHARED_CORPUS); fi

# The course's own pre-trained models and word vectors (a few CPU minutes, once; skipped when
# current). `make run` leaves this to the app, which builds them in the background.
models: corpus
	@if $(PY) -c "import sys; from courseware.corpus import corpus_file; from config import get_settings; \
		sys.exit(corpus_file(get_settings().data_dir) is None)"; then $(PY) -m courseware models build; \
	else echo "models: no tiny Shakespeare in the data folder (python -m courseware corpus fetch), not built"; fi

# Every seed track against its syllabus; fails below 100 % (the syllabi are in ../shared/syllabi).
coverage: setup
	$(PY) -m courseware coverage

run: system-deps-run setup migrate corpus
	@$(PY) -m scripts.first_login
	$(VENV)/bin/streamlit run serve.py --server.address 127.0.0.1 --server.port 8501 \
		--server.headless true --browser.gatherUsageStats false

validate: setup
	$(PY) -m sandbox validate

test: system-deps-test setup corpus models coverage validate
	$(PY) -m pytest
	$(PY) -m pytest --database=postgresql

test-postgres: system-deps-test setup corpus models
	$(PY) -m pytest --database=postgresql

bench: setup corpus
	$(PY) bench/verdict_latency.py
	$(PY) bench/burst.py

clean:
	rm -rf $(VENV) data .pytest_cache test-artifacts

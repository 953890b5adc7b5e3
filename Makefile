# One command to set up and run the demo, one to set up and run the tests.
# Python 3.12 (the image's and the Lambda's) when it runs here, else 3.11 (still supported).
PY ?= $(shell for p in python3.12 python3.11 python3.13 python3; do $$p -c '' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run local test lint format bench lock clean browser ocr-model

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev,ocr,local]"
	touch $@

run: setup  ## the whole path on the embedded default, with the shipped sample receipts
	$(BIN)/receiptsnap demo

local: setup  ## the whole stack in the foreground (set TELEGRAM_BOT_TOKEN to poll Telegram)
	$(BIN)/receiptsnap local

test: setup infra-setup browser  ## the whole suite (PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise)
	$(BIN)/python -m pytest

# The Mini App's browser test (tests/e2e/test_mini_app.py) drives Debian's chromium through
# Playwright (never `playwright install`: its own browser builds are a download). Installed
# with apt-get when missing and apt is usable (root), with an emoji font for the page's icons;
# elsewhere a browser already there (chromium, google-chrome) is used, or the test skips and
# says why. Idempotent: nothing is done when a browser is found.
BROWSERS := chromium chromium-browser google-chrome google-chrome-stable
browser:
	@for b in $(BROWSERS); do command -v $$b >/dev/null 2>&1 && exit 0; done; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the Mini App's browser test (apt-get)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium fonts-noto-color-emoji >/dev/null; } \
			|| echo "apt-get could not install chromium: the browser test will skip"; \
	else \
		echo "no browser and no apt-get as root: the Mini App's browser test will skip"; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup  ## benchmarks that print figures (summary needs PostgreSQL: TEST_DATABASE_URL)
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/cost.py
	$(BIN)/python bench/summary.py
	$(BIN)/python bench/client_api.py
	$(BIN)/python bench/load.py --quick  # the full load (1,000 updates, 200 photos): without --quick

ocr-model: setup  ## an int8 recogniser to measure, in .receiptsnap/models (needs ../shared/data)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[quantise]"
	$(BIN)/python scripts/quantise_recogniser.py

lock:  ## re-pin every transitive dependency after changing pyproject.toml
	$(BIN)/python -m pip freeze --exclude-editable | grep -v "^-e" > requirements.lock

clean:
	rm -rf $(VENV) .receiptsnap .pytest_cache .mypy_cache .ruff_cache

# ---- infrastructure, images, pipelines (infra/, Dockerfile, docker-compose.yml, .github/) ------
# The CDK app and its linters live in their own venv (infra/.venv, pinned by infra/requirements.txt)
# so that their dependencies never meet the app's pins. Synthesis runs the app with Python (jsii
# drives Node.js), so the node `cdk` CLI is needed only for diff/deploy.
INFRA_VENV := infra/.venv
INFRA_BIN := $(INFRA_VENV)/bin
LAMBDA_ZIP := build/lambda/processor.zip

.PHONY: infra-setup lambda-zip synth lint-infra test-infra

infra-setup: $(INFRA_VENV)/.installed

$(INFRA_VENV)/.installed: infra/requirements.txt
	$(PY) -m venv $(INFRA_VENV)
	$(INFRA_BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(INFRA_BIN)/python -m pip install --quiet -r infra/requirements.txt
	touch $@

lambda-zip: $(LAMBDA_ZIP)  ## the processor's deployment package (arm64, python3.12 runtime), size printed

$(LAMBDA_ZIP): $(VENV)/.installed scripts/build_lambda.py requirements.lock $(shell find core processor -name '*.py' 2>/dev/null)
	$(BIN)/python scripts/build_lambda.py --output $@

synth: infra-setup lambda-zip  ## CloudFormation templates into infra/cdk.out/
	cd infra && ../$(INFRA_BIN)/python app.py --lambda-zip ../$(LAMBDA_ZIP)

lint-infra: synth  ## cfn-lint + checkov on the templates, hadolint, actionlint, compose config
	$(INFRA_BIN)/cfn-lint infra/cdk.out/*.template.json
	$(INFRA_BIN)/checkov --quiet --compact --skip-download --framework cloudformation --directory infra/cdk.out
	$(INFRA_BIN)/hadolint Dockerfile
	PATH="$(CURDIR)/$(INFRA_BIN):$$PATH" $(INFRA_BIN)/actionlint
	$(INFRA_BIN)/docker-compose --env-file .env.example -f docker-compose.yml config --quiet

test-infra: setup infra-setup  ## tests/infra only (the CDK assertions run inside infra/.venv)
	$(BIN)/python -m pytest tests/infra

.PHONY: dev test setup build deploy smoke
dev:        ## Run the service locally on http://127.0.0.1:8787 and print an API key
	bash scripts/dev.sh
test:       ## Install what is missing, then run the unit and end-to-end tests
	bash scripts/test.sh
setup:
	bash scripts/setup.sh
build:
	bash scripts/build.sh

# `make deploy ENV=staging`; production by default. Only ENV given on the command line
# counts: some shells export an unrelated ENV variable.
ifeq ($(origin ENV),command line)
DEPLOY_ENV := $(ENV)
else
DEPLOY_ENV := production
endif
deploy:     ## Create what is missing on Cloudflare, migrate, build, deploy and smoke-test ENV (production|staging)
	bash scripts/setup.sh && node scripts/deploy.mjs --env $(DEPLOY_ENV)
smoke:      ## Smoke-test a running PausePoint: make smoke URL=https://… (PAUSEPOINT_SMOKE_KEY or PAUSEPOINT_ADMIN_TOKEN)
	node scripts/smoke.mjs $(URL)

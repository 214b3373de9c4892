.PHONY: dev test setup build deploy
dev:        ## Run the service locally on http://127.0.0.1:8787 and print an API key
	bash scripts/dev.sh
test:       ## Install what is missing, then run the unit and end-to-end tests
	bash scripts/test.sh
setup:
	bash scripts/setup.sh
build:
	bash scripts/build.sh
deploy:     ## Build the release Worker and deploy it to Cloudflare
	bash scripts/build.sh && npx wrangler deploy

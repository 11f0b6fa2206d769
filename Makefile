# istio-pod-network-controller — the commands a developer and CI use.
#   make test   install what the tests need, build, run every test project, print the totals
#   make demo   KubeSim + a simulated node + the agent + bookinfo, end to end
#   make bench  the benchmarks (never part of make test)
#   make build  build the solution (warnings are errors)
#   make format format the code as .editorconfig says

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
SOLUTION := IstioPodNetwork.sln
CONFIGURATION ?= Release
RESULTS := $(CURDIR)/TestResults
DOTNET := dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: test build demo bench format deps restore clean

deps:
	@scripts/install-deps.sh

restore:
	$(DOTNET) restore $(SOLUTION)

build: restore
	$(DOTNET) build $(SOLUTION) --no-restore -c $(CONFIGURATION) -warnaserror

test: deps build
	@rm -rf $(RESULTS)
	@status=0; \
	$(DOTNET) test $(SOLUTION) --no-build -c $(CONFIGURATION) --results-directory $(RESULTS) \
	    --logger "trx" --logger "console;verbosity=minimal" || status=$$?; \
	scripts/test-summary.sh $(RESULTS) || status=1; \
	exit $$status

# Builds only what the demo runs (ipnc and kubesim), then runs it; see scripts/demo.sh.
demo: deps
	$(DOTNET) build src/KubeSim/KubeSim.csproj -c $(CONFIGURATION) -warnaserror
	$(DOTNET) build src/Host/Host.csproj -c $(CONFIGURATION) -warnaserror
	@CONFIGURATION=$(CONFIGURATION) scripts/demo.sh

bench: deps
	$(DOTNET) run -c Release --project bench/KubeSim.Bench
	$(DOTNET) run -c Release --project bench/Capture.Bench
	$(DOTNET) run -c Release --project bench/Agent.Bench
	$(DOTNET) run -c Release --project bench/Cluster.Bench

format:
	$(DOTNET) format $(SOLUTION)

clean:
	$(DOTNET) clean $(SOLUTION) -c $(CONFIGURATION)
	rm -rf $(RESULTS)

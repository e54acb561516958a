# veloslet — see README.md for what each target is for.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -ldflags "-X main.Version=$(VERSION)"
GO ?= go

.PHONY: all build install dist demo run test e2e test-dockerd soak integration check bigfiles cross bench bench-e2e bench-e2e-dockerd bench-health-dockerd fuzz clean

all: check test

build:
	CGO_ENABLED=0 $(GO) build $(LDFLAGS) -o bin/veloslet ./cmd/veloslet

# The binary, its man pages and shell completions where the OS looks for
# them: PREFIX=/usr/local by default, DESTDIR for packagers.
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 bin/veloslet $(DESTDIR)$(PREFIX)/bin/veloslet
	bin/veloslet docs man $(DESTDIR)$(PREFIX)/share/man/man1 >/dev/null
	bin/veloslet completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/veloslet
	bin/veloslet completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_veloslet
	bin/veloslet completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/veloslet.fish

# Release archives veloslet_<version>_<os>_<arch>.tar.gz for darwin and linux
# on amd64 and arm64, each with the binary, README, man pages and
# completions, and SHA256SUMS beside them (check with sha256sum -c).
DIST_TARGETS := darwin/amd64 darwin/arm64 linux/amd64 linux/arm64
dist: build
	rm -rf bin/dist && mkdir -p bin/dist/share/man
	bin/veloslet docs man bin/dist/share/man >/dev/null
	for sh in bash zsh fish; do bin/veloslet completion $$sh > bin/dist/share/veloslet.$$sh; done
	set -e; for t in $(DIST_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; name=veloslet_$(VERSION)_$${os}_$${arch}; \
		mkdir -p bin/dist/$$name/man bin/dist/$$name/completions; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(LDFLAGS) -trimpath -o bin/dist/$$name/veloslet ./cmd/veloslet; \
		cp README.md config.example.toml bin/dist/$$name/; \
		cp bin/dist/share/man/*.1 bin/dist/$$name/man/; cp bin/dist/share/veloslet.* bin/dist/$$name/completions/; \
		tar -C bin/dist -czf bin/dist/$$name.tar.gz $$name; rm -rf bin/dist/$$name; \
	done
	rm -rf bin/dist/share
	cd bin/dist && sha256sum *.tar.gz > SHA256SUMS && sha256sum -c SHA256SUMS

# A first look with no container runtime: serve on the simulated backend.
demo:
	@[ -x bin/veloslet ] || echo "building veloslet (first time: a few minutes, most of it compiling the SQLite driver)"
	@$(MAKE) --no-print-directory build
	bash docs/examples/demo.sh

# Serve for real with config.example.toml (podman on Linux, container on macOS).
run: build
	bin/veloslet --config config.example.toml serve

# The fast, deterministic suite: every package's own tests, the runtime
# contract on each backend, the crash points and the fault runs on the
# simulation. The end-to-end tests of the built daemon (package
# cmd/veloslet/e2e) are `make e2e`; tests named TestSoak_… are the long runs
# of `make soak`. -timeout bounds each package's test binary: a hang guard,
# far above what any package takes. Tests waiting on a runtime run side by
# side (-p, -parallel): most of their time is podman's.
#
# RACE: the race detector's flag; a run without it is RACE= (quicker, for
# a first look; CI and the README's command use it).
RACE ?= -race
E2E_PKG := ./cmd/veloslet/e2e

# Two of the race detector's costs fall on the SQLite library, which is C
# translated to Go (modernc.org/sqlite/lib: pointer arithmetic on memory of
# its own, throughout):
# - checkptr, which -race turns on, checks every unsafe conversion in
#   modernc.org's packages: more CPU than race detection itself (6.9 s
#   against 2.9 s for one migration test). Off for those packages.
# - The library is compiled without race instrumentation (and so without
#   checkptr, which comes with it; for a package two patterns match, go
#   takes the last one's flags), as the C code of a cgo driver would be.
#   That halved the CPU of the store's tests (19 s to 8 s) and took a third
#   off the supervisor's and the command's. The driver's Go side
#   (modernc.org/sqlite), the C runtime the library runs on
#   (modernc.org/libc: its mutexes, its allocator), database/sql and all of
#   our code stay instrumented, except libc's one-line atomic helpers that
#   the compiler inlines into the library: the detector does not see
#   SQLite's own atomics, only its locks. (With libc left uninstrumented
#   too, the detector reported races that were not: libc's synchronisation
#   went unseen.)
# Through GOFLAGS, so that the veloslet the tests build gets them too.
SQLITE_RACE_GOFLAGS := -gcflags=modernc.org/...=-d=checkptr=0 -gcflags=modernc.org/sqlite/lib=-race=false
RACE_GOFLAGS := $(if $(strip $(RACE)),$(SQLITE_RACE_GOFLAGS))
# Test binaries are linked without DWARF (-w): a debugger's tables, which no
# test run reads, were over a quarter of the CPU of linking the suite's 18
# binaries (21 s against 15 s); stack traces do not need them.
test e2e test-dockerd: export GOFLAGS := $(strip $(GOFLAGS) $(RACE_GOFLAGS) -ldflags=-w)
soak: export GOFLAGS := $(strip $(GOFLAGS) $(if $(findstring -race,$(SOAK_FLAGS)),$(SQLITE_RACE_GOFLAGS)))
#
# go test starts the packages in the order given, -p at a time: the ones
# that take longest (a minute or more, much of it waiting on podman) go
# first, so that none starts last and runs alone at the end.
SLOW_PKGS := ./cmd/veloslet ./runtime/podman ./runtime/docker ./supervisor ./fleet ./store ./runtime/apple
test:
	$(GO) test $(RACE) -count=1 -timeout 20m -p 4 -parallel 4 -skip 'Soak' $(SLOW_PKGS) $$($(GO) list -e ./... | grep -v '/cmd/veloslet/e2e$$')

# The end-to-end tests: the built daemon (race-built when RACE is set)
# serving real podman, the docker backend on podman's API service, the Apple
# CLI emulator, compose projects, adoption, and the short chaos runs that
# SIGKILL it. CI runs them after make test.
e2e:
	$(GO) test $(RACE) -count=1 -timeout 30m -parallel 4 -skip 'Soak' $(E2E_PKG)

# The docker backend's suites against Debian's Docker Engine (package
# docker.io): the script starts a dockerd of its own, runs them and stops it.
# `make test` runs the same suites against podman's API service, and
# `make e2e` the serve and compose tests.
test-dockerd:
	GO=$(GO) RACE="$(RACE)" bash .ci/dockerd-test

# The long runs, tests named TestSoak_…: 50 chaos rounds on the simulation,
# on podman and on the Apple CLI emulator, faults at three rates, serve at 10,000 specs, a simulated
# day of crash-looping, a minute-long read. CI runs them after make test.
# They run without the race detector: the short versions of the same runs
# are in make test and make e2e, under it, and at this size its cost (5 to 10 times the
# CPU of the Go code) would be all the long runs measure. SOAK_FLAGS=-race
# runs them under it too.
SOAK_FLAGS ?=
soak:
	$(GO) test $(SOAK_FLAGS) -count=1 -timeout 60m -run 'Soak' ./...

check: cross bigfiles
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) tool errcheck -exclude .ci/errcheck-excludes.txt ./...

# No tracked file over 1 MiB: a built binary or a data dump belongs outside git.
bigfiles:
	@git ls-files | { big=0; while IFS= read -r f; do \
		if [ -f "$$f" ] && [ "$$(wc -c < "$$f")" -gt 1048576 ]; then echo "tracked file over 1 MiB: $$f"; big=1; fi; \
	done; exit $$big; }

# Each fuzz target for FUZZTIME; the last progress line of each is printed,
# the whole output kept in bin/fuzz-<target>.txt. Minimising a new input is
# capped so that a large seed cannot stall a short run.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./spec/compose:FuzzLoad ./spec:FuzzDecodeSpecs ./spec:FuzzParsePort ./spec:FuzzParseVolume ./cmd/veloslet:FuzzParseConfig ./runtime/apple:FuzzParseList \
	./runtime/podman:FuzzParsePS ./runtime/podman:FuzzParseEvent
fuzz:
	@mkdir -p bin; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg > bin/fuzz-$$name.txt 2>&1; rc=$$?; \
		echo "$$name: $$(grep 'execs:' bin/fuzz-$$name.txt | tail -1)"; \
		if [ $$rc -ne 0 ]; then cat bin/fuzz-$$name.txt; exit 1; fi; \
	done

# On a Mac with Apple's container CLI and its service started: the runtime
# contract against the real CLI (elsewhere the test skips and says why).
integration:
	$(GO) test -count=1 -v -run 'TestContract_RealCLI' ./runtime/apple -integration

# The driver is pure Go, so a Mac build needs no cgo toolchain.
cross:
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build ./...
	CGO_ENABLED=0 GOOS=darwin GOARCH=amd64 $(GO) build ./...
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build ./...

# Benchmarks, BENCH_COUNT runs each, kept in bin/bench.txt; benchstat tables of
# the pass beside its floor, of everything, and the claims checked on medians.
BENCH_COUNT ?= 6
bench:
	mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -timeout 90m ./... > bin/bench.txt || { cat bin/bench.txt; exit 1; }
	$(GO) tool benchstat -filter '.name:Pass' -col /kind bin/bench.txt
	$(GO) tool benchstat -filter '.name:Pass /kind:pass' -col /n bin/bench.txt
	$(GO) tool benchstat bin/bench.txt
	$(GO) run ./supervisor/internal/benchcheck bin/bench.txt

# veloslet beside podman's own --restart=always on real podman (kill -9 to
# running, one and five at a time, and idle CPU beside a bare podman events);
# prints medians and ratios with the load average. Needs podman; 16 minutes on
# a loaded machine, most of it launching and removing 100 containers.
bench-e2e:
	VELOSLET_BENCH_E2E=1 $(GO) test -count=1 -v -run '^TestBenchE2E$$' -timeout 60m $(E2E_PKG)

# The docker part of bench-e2e against Debian's Docker Engine (docker.io)
# and its own restart policy, in a dockerd the script starts and stops;
# then the health probes' cost beside the engine's own HEALTHCHECK.
bench-e2e-dockerd:
	GO=$(GO) RACE="$(RACE)" bash .ci/dockerd-test bench

# The health probes' cost alone (part of bench-e2e-dockerd): veloslet's
# exec and http probes on 100 containers beside the engine's own
# HEALTHCHECK on 100, and the idle figure without probes.
bench-health-dockerd:
	GO=$(GO) bash .ci/dockerd-test bench-health

clean:
	rm -rf bin

# depsync: see README.md. Every target that needs system packages runs `deps` first.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
TESTFLAGS ?= -race -timeout 30m
# Packages: every time in them is the commit's, so a commit gives the same bytes.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
ARCHES   ?= amd64 arm64
PREFIX   ?= /usr/local
DESTDIR  ?=
HOSTARCH := $(shell $(GO) env GOARCH)
comma    := ,
empty    :=
space    := $(empty) $(empty)

.PHONY: all build deps test lint demo bench chaos clean package install

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/depsync ./cmd/depsync

# dist/depsync_<version>_<arch>.deb and dist/depsync-<version>-1.<arch>.rpm
# for each of ARCHES (static binaries), with nFPM (scripts/pkgbuild).
package:
	@for a in $(sort $(ARCHES) $(HOSTARCH)); do \
	  echo "build bin/linux_$$a/depsync"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$a $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o bin/linux_$$a/depsync ./cmd/depsync || exit 1; \
	done
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./scripts/pkgbuild -version "$(VERSION)" \
	  -arch "$(subst $(space),$(comma),$(strip $(ARCHES)))" -bins bin -host-bin bin/linux_$(HOSTARCH)/depsync -out dist

# The files a package installs, under $(DESTDIR)$(PREFIX) (the config under
# $(DESTDIR)/etc/depsync, never overwritten).
install:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/linux_$(HOSTARCH)/depsync ./cmd/depsync
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./scripts/pkgbuild -install -version "$(VERSION)" \
	  -host-bin bin/linux_$(HOSTARCH)/depsync -prefix "$(PREFIX)" -destdir "$(DESTDIR)"

# Installs svn, svnserve, Apache httpd with mod_dav_svn (Debian, as root) when
# missing; elsewhere prints what to install.
deps:
	@bash scripts/deps.sh

test: deps
	$(GO) vet ./...
	$(GO) test $(TESTFLAGS) ./...

lint:
	@bash scripts/check-size.sh
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

demo: deps build
	@bash scripts/demo.sh

# Micro-benchmarks of each package (ratios against the raw tools in the same
# run), then the system table of BENCHMARKS.md (propagation against the raw
# floors and lsyncd, idle cost, scale, push throughput, tenants at scale).
bench: deps build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $$($(GO) list ./... | grep -v /e2e)
	$(GO) test -run '^$$' -bench '^BenchmarkTable$$' -benchtime 1x -timeout 120m ./e2e/

# Fault soak: kill -9 of both daemons, SVN server restarts, stale locks, the
# manager's route to SVN cut, the worker's disk full (tmpfs, as root) and the
# manager's carbonapps moved away and back, while C-Apps and XML files keep
# changing (CHAOS_DURATION, default 5m; CHAOS_SEED replays a run).
chaos: deps
	CHAOS_DURATION=$${CHAOS_DURATION:-5m} $(GO) test -v -count=1 -run '^TestChaos$$' -timeout 60m ./e2e/

clean:
	rm -rf bin dist

# v6front — plain Makefile.  `make help` lists the targets.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/v6front
DESTDIR	?=

CC	?= cc
BUILD	?= build
OPT	?= -O2 -g
WERROR	?= -Werror
SAN	?=
VERSION	:= 0.1.0

PKGS	:= libevent libevent_pthreads libssl libcrypto yaml-0.1 zlib
WARN	:= -Wall -Wextra $(WERROR) -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter -Wformat=2
CPPFLAGS += -I. -D_GNU_SOURCE -DV6F_VERSION='"$(VERSION)"'
CFLAGS	+= -std=c11 $(OPT) $(WARN) $(SAN) -pthread \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS	+= $(SAN) -pthread
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# Every module folder compiles into the daemon; main() lives in proxy/main.c.
MODULES	:= conf log tunnel proxy
SRCS	:= $(wildcard $(addsuffix /*.c,$(MODULES)))
OBJS	:= $(SRCS:%.c=$(BUILD)/%.o)
LIBOBJS	:= $(filter-out $(BUILD)/proxy/main.o,$(OBJS))
HDRS	:= $(wildcard $(addsuffix /*.h,$(MODULES)))

# C unit tests: t/unit/NAME.c -> $(BUILD)/t/unit/NAME, run by prove as TAP.
UNIT_SRCS := $(wildcard t/unit/*.c)
UNITS	:= $(UNIT_SRCS:t/unit/%.c=$(BUILD)/t/unit/%)

# Fuzz targets: t/fuzz/fuzz_NAME.c.  `make fuzz` builds them for libFuzzer;
# the test suite replays each corpus through a plain main() (t/fuzz/replay.c).
FUZZ_SRCS := $(wildcard t/fuzz/fuzz_*.c)
REPLAYS	:= $(FUZZ_SRCS:t/fuzz/%.c=$(BUILD)/t/fuzz/%)
FUZZERS	:= $(FUZZ_SRCS:t/fuzz/%.c=fuzz-build/%)

# Micro-benchmarks of one module: bench/NAME.c -> $(BUILD)/bench/NAME, linked
# like a test.  (bench/*.sh drive whole daemons and build their own helpers.)
MICRO	:= tun_decap logformat h1parse
BENCHES	:= $(MICRO:%=$(BUILD)/bench/%)

# Debian packages: to build, to test, to benchmark.
BUILD_DEBS := gcc make pkg-config libevent-dev libssl-dev libyaml-dev zlib1g-dev
TEST_DEBS  := perl curl iproute2 procps nftables iputils-ping ethtool \
	      libio-socket-ssl-perl openssl goaccess wrk chromium prometheus
DEV_DEBS   := valgrind clang cppcheck
BENCH_DEBS := haproxy 6tunnel iperf3 util-linux nginx-light wrk gawk time \
	      tayga ethtool

.PHONY: all lint deps dev-deps bench-deps run test suite check check-asan valgrind \
	fuzz install uninstall clean help units replays bench-build

EXE	?= v6front

all: $(EXE)

$(EXE): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/t/unit/%: t/unit/%.c t/tap.h $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBOBJS) $(LDFLAGS) $(LDLIBS)

$(BUILD)/t/fuzz/%: t/fuzz/%.c t/fuzz/replay.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< t/fuzz/replay.c $(LIBOBJS) \
	    $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBOBJS) $(LDFLAGS) $(LDLIBS)

units: $(UNITS)
bench-build: $(BENCHES)
replays: $(REPLAYS)

# Installs what is missing.  As root it runs apt-get; otherwise it prints the
# exact command and fails when a build dependency is missing.
define need_debs
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed' || echo $$p; done | xargs); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "missing packages; run as root:"; \
	    echo "  apt-get install -y --no-install-recommends $$missing"; \
	    $(2); \
	fi
endef

deps:
	$(call need_debs,$(BUILD_DEBS),exit 1)
	$(call need_debs,$(TEST_DEBS),true)

bench-deps: deps
	$(call need_debs,$(BENCH_DEBS),exit 1)

run: deps
	$(MAKE) $(EXE)
	./$(EXE) -c conf/examples/demo.yaml

test: deps
	$(MAKE) suite

# The suite proper: C unit tests (TAP executables), then the integration
# tests in t/*.t, which find the daemon and build tree through the env.
suite: $(EXE) units replays
	V6F_BIN=$(abspath $(EXE)) V6F_BUILD=$(abspath $(BUILD)) \
	    prove $(PROVEFLAGS) $(UNITS) t/*.t

check: test

# The whole suite under AddressSanitizer + UBSan, in its own build tree.
# Freed memory waits in ASan's quarantine; V6F_ASAN_QUARANTINE_MB lets the
# memory-bound tests allow for it.
check-asan: deps
	ASAN_OPTIONS=quarantine_size_mb=16:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1 V6F_ASAN_QUARANTINE_MB=16 \
	$(MAKE) BUILD=build-asan EXE=build-asan/v6front OPT='-O1 -g' \
	    SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	    suite

# The suite with every v6front process under valgrind memcheck.
valgrind: deps
	$(call need_debs,$(DEV_DEBS),exit 1)
	$(MAKE) $(EXE) units replays
	for u in $(UNITS); do \
	    valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite $$u >/dev/null || exit 1; done
	V6F_VALGRIND=1 $(MAKE) suite

# Static checks.  variableScope is off: our style declares a function's
# variables at its top (see STYLE.md), which that check would flag everywhere.
lint: dev-deps
	cppcheck --enable=warning,style,performance,portability --inline-suppr \
	    --suppress=variableScope --error-exitcode=1 -q -I. -D_GNU_SOURCE \
	    --std=c11 $(MODULES)
	$(MAKE) CC=clang BUILD=build-clang EXE=build-clang/v6front \
	    build-clang/v6front units

fuzz: $(FUZZERS)
$(FUZZERS): | dev-deps

dev-deps:
	$(call need_debs,$(DEV_DEBS),exit 1)

fuzz-build/%: t/fuzz/%.c $(SRCS) $(HDRS)
	@mkdir -p fuzz-build
	clang $(CPPFLAGS) -std=c11 -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined \
	    $(shell pkg-config --cflags $(PKGS)) -o $@ $< \
	    $(filter-out proxy/main.c,$(SRCS)) $(LDLIBS)

install: $(EXE)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(EXE) $(DESTDIR)$(BINDIR)/v6front
	install -m 644 README $(DESTDIR)$(DOCDIR)/README
	install -m 644 conf/examples/*.yaml $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/v6front
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-asan fuzz-build v6front

help:
	@echo "make            build ./v6front"
	@echo "make deps       install missing Debian packages (root), else print the command"
	@echo "make run        deps + build + run conf/examples/demo.yaml in the foreground"
	@echo "make test       deps + build + the whole suite with prove"
	@echo "make check-asan the suite under AddressSanitizer + UBSan"
	@echo "make valgrind   the suite with v6front under valgrind memcheck"
	@echo "make lint       cppcheck, and a warning-free build with clang"
	@echo "make fuzz       libFuzzer targets in fuzz-build/ (clang)"
	@echo "make bench-build micro-benchmarks in $(BUILD)/bench/"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"

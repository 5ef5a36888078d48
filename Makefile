# superfluid: one plain GNU Makefile.  `make`, `make check`, `make asan`,
# `make check SAN=1`, `make bench`, `make fuzz-run`, `make check-fault`, `make soak`.
# Build output goes to $(O) (build/, build-san/ when SAN=1, build-fuzz/ when
# FUZZ=1, build-fault/ when FAULT=1), so sanitizer, fuzzer, fault-injection
# and normal objects never mix.

CC      ?= gcc
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
PKGS    := libcurl jansson libmnl sqlite3 inih libmicrohttpd
SAN     ?=
FUZZ    ?=
FAULT   ?=

# Allocation failure injection (src/common/fault.h): our objects' calls to
# these go to fault.c's __wrap_* functions.
FAULT_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup \
              -Wl,--wrap=strndup,--wrap=asprintf,--wrap=vasprintf \
              -Wl,--wrap=json_loadb,--wrap=json_loads

ifeq ($(FUZZ),1)
O       ?= build-fuzz
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
else ifeq ($(FAULT),1)
O       ?= build-fault
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FAULTFLAGS := -DSF_FAULT_INJECTION
FAULTLDFLAGS := $(FAULT_WRAP)
else ifeq ($(SAN),1)
O       ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O       ?= build
SANFLAGS :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# libsystemd: its header only; common/log.c dlopen()s it under the journal.
PKG_CFLAGS += $(shell pkg-config --cflags libsystemd)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)

WFLAGS   := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
            -Wmissing-prototypes -Wstrict-prototypes
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -Isrc $(WFLAGS) $(PKG_CFLAGS) \
                   $(SANFLAGS) $(FAULTFLAGS) -MMD -MP -pthread
override LDFLAGS += $(SANFLAGS) $(FAULTLDFLAGS) -pthread
LIBS     := $(PKG_LIBS) -lm

# Library code: every component's files but the programs' main.c and the
# CLI, so that the daemon's and the CNI code's logic is unit-testable.
LIB_SRCS := $(filter-out %/main.c,$(wildcard src/common/*.c src/netlink/*.c \
              src/netns/*.c src/neutron/*.c src/store/*.c src/cni/*.c src/bind/*.c \
              src/metrics/*.c src/pool/*.c src/server/*.c src/service/*.c src/daemon/*.c \
              src/libnetwork/*.c))
DAEMON_SRCS := src/daemon/main.c
CNI_SRCS    := src/cni/main.c
CLI_SRCS    := $(wildcard src/cli/*.c)
# Docker's libnetwork driver (docs/runtimes.md), a companion of the daemon.
DOCKER_SRCS := src/libnetwork/main.c
# test_fault*.c need the FAULT=1 build's injector.
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
FAULT_SRCS  := $(wildcard tests/unit/test_fault*.c)
ifneq ($(FAULT),1)
UNIT_SRCS   := $(filter-out $(FAULT_SRCS),$(UNIT_SRCS))
endif
IT_SRCS     := $(wildcard tests/integration/it_*.c)
# Tests that need a kernel this machine lacks: run in tests/guest/run's guest.
GUEST_SRCS  := $(wildcard tests/guest/*.c)
# Programs the tests, benches and the test bed run (tests/tools/NAME.c ->
# $(O)/tests/tools/NAME: sfwan, the WAN; sfprobe, the client of the moves;
# sfrarp, a guest's RARP announcement; sfvlanping, tagged echo requests).
TOOL_SRCS   := $(wildcard tests/tools/*.c)
# The shared test fixtures (tests/lib/): one archive, linked before the
# library into every test and fuzz target, which pulls in what it uses.
TESTLIB_SRCS := $(wildcard tests/lib/*.c)

obj = $(patsubst %.c,$(O)/%.o,$(1))
LIB      := $(O)/libsuperfluid.a
TESTLIB  := $(O)/libsftest.a
PROGS    := $(O)/superfluidd $(O)/superfluid $(O)/sfctl $(O)/superfluid-docker
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))
IT_BINS   := $(patsubst tests/integration/%.c,$(O)/tests/integration/%,$(IT_SRCS))
GUEST_BINS := $(patsubst tests/guest/%.c,$(O)/tests/guest/%,$(GUEST_SRCS))
TOOL_BINS := $(patsubst tests/tools/%.c,$(O)/tests/tools/%,$(TOOL_SRCS))
# LD_PRELOAD shims (tests/tools/preload/NAME.c -> $(O)/tests/tools/NAME.so:
# sfclock, a wall-clock step for one daemon), built without the sanitizers.
PRELOAD_SOS := $(patsubst tests/tools/preload/%.c,$(O)/tests/tools/%.so,$(wildcard tests/tools/preload/*.c))

.PHONY: all check check-unit check-integration check-fault check-layout asan install clean tests man deb
# Objects reached through pattern rules are kept: a rebuild redoes only what changed.
.SECONDARY:
all: check-layout $(PROGS) man

# The layout rule (docs/architecture.md, "Layers"): who may include whom,
# struct daemon only in src/daemon, goto only to exit labels.  Runs again
# when a source changes.
LAYOUT_STAMP := $(O)/.layout-ok
check-layout: $(LAYOUT_STAMP)
$(LAYOUT_STAMP): scripts/check-layout $(shell find src -name '*.[ch]')
	@$(if $(Q),echo "  LAYOUT  src")
	$(Q)scripts/check-layout
	@mkdir -p $(dir $@) && touch $@

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRCS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(TESTLIB): $(call obj,$(TESTLIB_SRCS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Tests and fuzz targets include the fixtures' headers by name.
$(O)/tests/%.o $(O)/fuzz/%.o: override CFLAGS += -Itests/lib

$(O)/superfluidd: $(call obj,$(DAEMON_SRCS)) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(O)/superfluid: $(call obj,$(CNI_SRCS)) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(O)/sfctl: $(call obj,$(CLI_SRCS)) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(O)/superfluid-docker: $(call obj,$(DOCKER_SRCS)) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/%: $(O)/tests/%.o $(TESTLIB) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(O)/tests/tools/%.so: tests/tools/preload/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -o $@ $<

# Tools are not tests: no cmocka (the shorter stem wins over the rule above).
$(O)/tests/tools/%: $(O)/tests/tools/%.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Man pages (man/, plain roff; docs/config.md says why): superfluid.conf(5)
# is generated from the daemon's own key tables by confdoc, which fails when
# a key has no help text; so is the commented example config.
CONFDOC   := $(O)/man/confdoc
MAN_PAGES := $(O)/man/superfluid.conf.5 $(O)/man/superfluidd.8 $(O)/man/superfluid.8 \
             $(O)/man/sfctl.8
EXAMPLE_CONF := $(O)/superfluid.conf.example
man: $(MAN_PAGES) $(EXAMPLE_CONF)
$(CONFDOC): $(O)/man/confdoc.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(O)/man/%: man/%.in $(CONFDOC)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(CONFDOC) man $< > $@.tmp && mv $@.tmp $@
$(EXAMPLE_CONF): $(CONFDOC)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(CONFDOC) ini > $@.tmp && mv $@.tmp $@

tests: $(PROGS) $(UNIT_BINS) $(IT_BINS) $(GUEST_BINS) $(TOOL_BINS) $(PRELOAD_SOS)

# Micro-benchmarks (root): `make bench`, then run $(O)/bench/<name>.
BENCH_BINS := $(patsubst bench/%.c,$(O)/bench/%,$(wildcard bench/*.c))
.PHONY: bench
bench: $(BENCH_BINS)
$(O)/bench/%: $(O)/bench/%.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests need nothing; integration tests bring up the test bed
# (scripts/testbed up is idempotent) and need root.
check: check-layout tests
	$(Q)O=$(O) tests/run all

check-unit: tests
	$(Q)O=$(O) tests/run unit

check-integration: tests
	$(Q)O=$(O) tests/run integration

asan:
	$(Q)$(MAKE) SAN=1 all tests

# Allocation failure injection (docs/fuzzing.md, "Fault injection"): every
# parser on its fuzz seeds and the request paths, failing allocation 1, 2,
# ... in turn, under ASan + UBSan + LeakSanitizer, in build-fault/.
ifeq ($(FAULT),1)
check-fault: $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(FAULT_SRCS))
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		O=$(O) tests/run unit test_fault
else
check-fault:
	$(Q)$(MAKE) FAULT=1 $@
endif

# The long crash soak and leak run (docs/soak.md); `make check` runs their
# CI-sized versions.
SOAK_OPS ?= 20000
SOAK_CYCLES ?= 10000
SOAK_VG_CYCLES ?= 1000
.PHONY: soak
soak: all
	$(Q)SF_SOAK_OPS=$(SOAK_OPS) SF_LEAK_CYCLES=$(SOAK_CYCLES) SF_LEAK_VG_CYCLES=$(SOAK_VG_CYCLES) \
		SF_TEST_TIMEOUT=$${SF_TEST_TIMEOUT:-14400} O=$(O) tests/run integration 'daemon_[sl][oe]a'

# libFuzzer targets (clang): fuzz/fuzz_*.c, linked with the library built
# with the same instrumentation into build-fuzz/.  `make fuzz-run` runs each
# for FUZZ_SECONDS on its seeds in fuzz/corpus/ (docs/fuzzing.md).
FUZZ_BINS := $(patsubst fuzz/%.c,$(O)/fuzz/%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 20
.PHONY: fuzz fuzz-run
ifeq ($(FUZZ),1)
fuzz: $(FUZZ_BINS)
fuzz-run: fuzz
	$(Q)O=$(O) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) fuzz/run $(FUZZ_BINS)
$(O)/fuzz/%: $(O)/fuzz/%.o $(TESTLIB) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)
else
fuzz fuzz-run:
	$(Q)$(MAKE) FUZZ=1 CC=clang $@
endif

# `make install` (PREFIX=/usr/local); the Debian package (debian/rules)
# sets PREFIX=/usr, CNI_BIN_DIR=/usr/lib/cni and the packaged unit paths.
# The commented config goes to /etc/superfluid only where there is none
# (mode 0640: the daemon refuses a main file holding a secret that others
# can read).
CNI_BIN_DIR      ?= /opt/cni/bin
SYSTEMD_UNIT_DIR ?= /etc/systemd/system
TMPFILES_DIR     ?= /etc/tmpfiles.d
SYSCONF_DIR      ?= /etc/superfluid
DOC_DIR          ?= $(PREFIX)/share/doc/superfluid
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(CNI_BIN_DIR)
	install -m 0755 $(O)/superfluidd $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(O)/sfctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(O)/superfluid $(DESTDIR)$(CNI_BIN_DIR)/
	install -d $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed "s|/usr/local/sbin/|$(PREFIX)/sbin/|g" contrib/systemd/superfluidd.service \
		> $(DESTDIR)$(SYSTEMD_UNIT_DIR)/superfluidd.service
	install -D -m 0644 contrib/systemd/superfluid.conf $(DESTDIR)$(TMPFILES_DIR)/superfluid.conf
	install -D -m 0644 $(O)/man/superfluid.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/superfluid.conf.5
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(DOC_DIR)/examples
	install -m 0644 $(EXAMPLE_CONF) contrib/cni/superfluid.conflist \
		contrib/prometheus/superfluid-rules.yml $(DESTDIR)$(DOC_DIR)/examples/
	[ -e $(DESTDIR)$(SYSCONF_DIR)/superfluid.conf ] || \
		install -D -m 0640 $(EXAMPLE_CONF) $(DESTDIR)$(SYSCONF_DIR)/superfluid.conf

# The Debian package (debian/, dpkg-buildpackage + debhelper), into $(O)/deb/.
deb:
	$(Q)scripts/make-deb $(O)/deb

clean:
	rm -rf build build-san build-fuzz build-fault

# ($(O)/deb holds the package's own build tree: not ours.)
-include $(shell find $(O) -path $(O)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

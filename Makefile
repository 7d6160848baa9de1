# err53-logscan - restore-log forensic analyzer.
# `make demo` and `make check` install missing Debian packages first
# (scripts/install-deps), then build.  Other targets assume the libraries
# are present.  User CFLAGS/LDFLAGS are appended, never replaced.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
INSTALL ?= install

PKGS := libpcre2-8 libplist-2.0 zlib libarchive
# make ISAL=1: inflate gzip with ISA-L (libisal-dev) instead of zlib
ifdef ISAL
PKGS += libisal
ISAL_FLAGS := -DE53_WITH_ISAL
endif
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PLIST_VERSION = $(shell $(PKG_CONFIG) --modversion libplist-2.0 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CRITERION_LIBS = $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null || echo -lcriterion)

WARN := -Wall -Wextra
ifdef DEVELOPER
WARN += -Werror -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wpointer-arith -Wvla -Wwrite-strings -Wno-format-nonliteral
endif
OPT ?= -O2
SAN_FLAGS :=
ifdef SANITIZE
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1
endif

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Iinclude -Ibuild $(OPT) -g -pthread $(WARN) \
	$(SAN_FLAGS) $(ISAL_FLAGS) $(PKG_CFLAGS) -DE53_PLIST_VERSION='"$(PLIST_VERSION)"' -MMD -MP $(CFLAGS)
ALL_LDFLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)

ifdef SANITIZE
B := build-san
BIN := build-san/err53-logscan
LIBA := build-san/liberr53.a
else ifdef ISAL
B := build-isal
BIN := build-isal/err53-logscan
LIBA := build-isal/liberr53.a
else
B := build
BIN := err53-logscan
LIBA := liberr53.a
endif
LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(B)/%.o) $(B)/tables_data.o $(B)/rules_data.o
RULE_FILES := $(sort $(wildcard rules/*.rules))
DATA_FILES := $(wildcard data/*.tsv)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/%)
MANPAGES := man/err53-logscan.1 man/err53-report.5 man/err53-rules.5
FUZZERS := lines_rules input plist ips session
REPLAY_BIN := $(FUZZERS:%=$(B)/replay-%)

.PHONY: all deps demo check test unit cli-test golden regress hostile corpus-check lint-man fuzz-replay install uninstall clean bench fuzz fuzz-run
all: $(BIN)

deps:
	@sh scripts/install-deps

$(B):
	@mkdir -p $(B)

$(B)/tables_data.c: scripts/gen-tables $(DATA_FILES) | $(B)
	sh scripts/gen-tables $@ data

$(B)/rules_data.c: scripts/embed-rules $(RULE_FILES) | $(B)
	sh scripts/embed-rules $@ $(RULE_FILES)

$(B)/%.o: src/%.c | $(B)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tables_data.o: $(B)/tables_data.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/rules_data.o: $(B)/rules_data.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(B)/main.o $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $(B)/main.o $(LIBA) $(PKG_LIBS)

$(B)/test_%: tests/test_%.c $(wildcard tests/*.h) $(LIBA)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(ALL_LDFLAGS) $(PKG_LIBS) $(CRITERION_LIBS)

# The user-facing commands: set up, then build and run.
demo: deps
	@$(MAKE) --no-print-directory all
	./err53-logscan fixtures/logs/itunes-mac-53-mesa.log || test $$? -eq 1

check: deps
	@$(MAKE) --no-print-directory test

test: $(BIN) $(TEST_BIN) $(REPLAY_BIN)
	@$(MAKE) --no-print-directory unit cli-test golden regress hostile lint-man corpus-check fuzz-replay

# Under the sanitizers the tests run one at a time: Criterion's parallel
# runner itself sometimes leaks a block at exit, which LeakSanitizer reports.
UNIT_JOBS := $(if $(SANITIZE),1,2)
unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t --jobs $(UNIT_JOBS); done

cli-test: $(BIN)
	@sh tests/cli/run.sh ./$(BIN)

golden: $(BIN)
	@sh tests/golden/run.sh ./$(BIN)

regress: $(BIN)
	@python3 tests/regress/run.py ./$(BIN)

# Memory under the sanitizers is the shadow heap's, not the program's.
HOSTILE_RSS_KB := $(if $(SANITIZE),1000000,32768)
hostile: $(BIN)
	@RSS_LIMIT_KB=$(HOSTILE_RSS_KB) sh tests/hostile/run.sh ./$(BIN)

lint-man: $(BIN)
	@if ls man/*.[1-8] >/dev/null 2>&1; then sh tests/lint-man.sh ./$(BIN); fi

# The shared corpus lives beside the project in some checkouts (and in CI).
corpus-check: $(BIN)
	@if [ -x ../shared/tools/corpus-check ] && [ -d ../shared/corpus ]; then \
		../shared/tools/corpus-check --quiet --bin ./$(BIN) ../shared/corpus; \
	else echo "corpus-check: ../shared/corpus not present, skipped"; fi

# Fuzz harnesses: replayed over the saved corpus and crashers under the
# normal compiler in `make check`; `make fuzz` builds the libFuzzer versions.
$(B)/replay-%: fuzz/fuzz_%.c fuzz/replay.c fuzz/fuzz_common.h $(LIBA)
	$(CC) $(ALL_CFLAGS) -o $@ fuzz/fuzz_$*.c fuzz/replay.c $(LIBA) $(ALL_LDFLAGS) $(PKG_LIBS)

fuzz-replay: $(REPLAY_BIN)
	@set -e; for f in $(FUZZERS); do $(B)/replay-$$f fuzz/corpus/$$f fuzz/crashers/$$f; done; \
	echo "$(words $(FUZZERS)) passed, 0 failed"

FUZZ_CC ?= clang
FB := build-fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(LIB_SRC:src/%.c=$(FB)/%.o) $(FB)/tables_data.o $(FB)/rules_data.o

$(FB)/%.o: src/%.c | $(B)/tables_data.c $(B)/rules_data.c
	@mkdir -p $(FB)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Iinclude $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<
$(FB)/%_data.o: $(B)/%_data.c
	@mkdir -p $(FB)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Iinclude $(FUZZ_FLAGS) $(PKG_CFLAGS) -c -o $@ $<
$(FB)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Iinclude $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) \
		-o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS) -pthread

fuzz: $(FUZZERS:%=$(FB)/fuzz_%)

# keep the fuzz objects between builds
.SECONDARY: $(FUZZ_LIB_OBJ)

# FUZZ_SECONDS per harness; new crashers land in fuzz/crashers/NAME/.
FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	@for f in $(FUZZERS); do mkdir -p fuzz/out/$$f; \
		$(FB)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/crashers/$$f/ \
			-dict=fuzz/dict/err53.dict fuzz/out/$$f fuzz/corpus/$$f || exit 1; done

install: $(BIN)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 755 err53-logscan $(DESTDIR)$(BINDIR)/err53-logscan
	for p in $(MANPAGES); do \
		[ -f $$p ] || continue; \
		s=$${p##*.}; $(INSTALL) -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/err53-logscan
	rm -f $(DESTDIR)$(MANDIR)/man1/err53-logscan.1 $(DESTDIR)$(MANDIR)/man5/err53-report.5 \
		$(DESTDIR)$(MANDIR)/man5/err53-rules.5

# Benchmark: generates bench-data/ on first use (about 2.5 GiB).
bench: err53-logscan
	@sh scripts/install-deps --bench
	@$(MAKE) --no-print-directory ISAL=1
	@mkdir -p bench-data
	sh scripts/bench | tee bench-data/results.md

clean:
	rm -rf build build-san build-isal build-fuzz err53-logscan liberr53.a

-include $(wildcard $(B)/*.d)

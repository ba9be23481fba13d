# lendlab — build, test, lint, install. `make run` and `make test` work on a fresh Debian 12.
CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
OPT     ?= -O2 -g
CFLAGS  ?=
PKGS    := ncursesw libcurl libcjson libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
ALL_CFLAGS := $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -iquote core -pthread \
              -DLL_THEME_DIR='"$(PREFIX)/share/lendlab/themes"' $(CFLAGS)
LIBS    := $(PKG_LIBS) -lcsv -lyaml -lm -lpthread

# Debian packages needed to build, run and test (installed by `make deps` when missing).
DEB_PKGS := build-essential pkg-config libncurses-dev libcsv-dev libcjson-dev \
            libcurl4-openssl-dev libmicrohttpd-dev libcmocka-dev libyaml-dev tmux clang \
            libclang-rt-14-dev clang-format cppcheck valgrind mandoc curl python3 \
            python3-xgboost python3-sklearn python3-scipy python3-pandas python3-numpy \
            python3-yaml time wrk hyperfine locales

CORE_SRC := $(sort $(wildcard core/*.c))
TUI_SRC  := $(sort $(wildcard tui/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
TUI_OBJ  := $(TUI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
LIB      := $(BUILD)/liblendlab.a
UILIB    := $(BUILD)/liblendlab-ui.a
UI_OBJ   := $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ))
BIN      := $(BUILD)/lendlab
SRC_ALL  := $(CORE_SRC) $(TUI_SRC) $(TEST_SRC) $(wildcard core/*.h tui/*.h tests/*.h bench/*.c)

.PHONY: all deps run test unit integration asan valgrind lint format install clean bench help
.DEFAULT_GOAL := all

all: $(BIN)

help:
	@echo "make deps | all | run | test | asan | lint | format | bench | install PREFIX=... | clean"

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	else echo "all build and test dependencies are installed"; fi
	@# a comma-decimal locale lets the tests prove that numbers never follow LC_NUMERIC
	@if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$$' && [ -f /etc/locale.gen ] && \
	    [ "$$(id -u)" = 0 ] && command -v locale-gen >/dev/null; then \
	  sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen && locale-gen >/dev/null; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(UILIB): $(UI_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/tui/main.o $(UILIB) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(BUILD)/tui/main.o $(UILIB) $(LIB) $(LIBS)

# Core tests link only liblendlab.a; tests/test_tui_*.c also link the workbench's pure code.
$(BUILD)/tests/test_tui_%: tests/test_tui_%.c $(UILIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -iquote tests -iquote tui -o $@ $< $(UILIB) $(LIB) $(CMOCKA_LIBS) $(LIBS)

$(BUILD)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -iquote tests -o $@ $< $(LIB) $(CMOCKA_LIBS) $(LIBS)

run: deps $(BIN)
	./$(BIN) data/lending_club.csv

# Unit tests (cmocka, one binary per core module) then integration tests (the real binary).
unit: $(TEST_BIN)
	@cd tests && fail=0; for t in $(TEST_BIN:$(BUILD)/%=../$(BUILD)/%); do \
	  echo "== $$t"; $$t || fail=1; done; exit $$fail

integration: $(BIN)
	@LENDLAB=$(abspath $(BIN)) sh tests/integration/run.sh

test: deps all unit integration
	@$(MAKE) --no-print-directory asan

# AddressSanitizer + UBSan build of everything, in its own build directory, running all tests
# (the kill -9 loop runs fewer iterations there: the sanitized binary is several times slower).
asan:
	@LENDLAB_SANITIZED=1 LENDLAB_FAULT_ITERS=$${LENDLAB_FAULT_ITERS:-50} $(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  unit integration

# The core's unit tests under valgrind's memcheck: no errors and no leaks.
VALGRIND_TESTS ?= $(filter-out $(BUILD)/tests/test_tui_%,$(TEST_BIN))
valgrind: $(VALGRIND_TESTS)
	@cd tests && fail=0; for t in $(VALGRIND_TESTS:$(BUILD)/%=../$(BUILD)/%); do \
	  echo "== valgrind $$t"; \
	  valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	    --error-exitcode=99 $$t >/dev/null 2>../$(BUILD)/valgrind.log || { fail=1; cat ../$(BUILD)/valgrind.log; }; \
	done; exit $$fail

lint:
	clang-format --dry-run --Werror $(SRC_ALL)
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Icore core tui
	mandoc -Tlint -W warning man/*.1 man/*.5

format:
	clang-format -i $(SRC_ALL)

# Benchmark drivers (bench/*.c) link the library like the tests do.
$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LIBS)

bench: $(BIN) $(BENCH_BIN)
	sh bench/run.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/lendlab/themes
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/lendlab
	for f in man/*.1; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done
	for f in man/*.5; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/man/man5/ || true; done
	for f in themes/*.theme; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(PREFIX)/share/lendlab/themes/ || true; done

clean:
	rm -rf build build-asan

-include $(CORE_OBJ:.o=.d) $(TUI_OBJ:.o=.d)

# ---- Fuzzing (libFuzzer + ASan + UBSan; needs clang and libclang-rt-14-dev) ----
# `make fuzz` builds every tests/fuzz/fuzz_<name>.c into $(FUZZ_BUILD)/ and runs each for
# FUZZ_SECONDS (one at a time); `make fuzz FUZZ_TARGETS="csv filter"` runs a few;
# `make fuzz-ci` (run by .ci/run) is the same for FUZZ_CI_SECONDS (20) each with a fixed
# seed, so a regression replays the same way. New inputs go to $(FUZZ_BUILD)/corpus/<name>
# (the committed seeds in tests/fuzz/corpus/<name> are read, never written); crashes go to
# $(FUZZ_BUILD)/artifacts/. See docs/RELIABILITY.md.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_CI_SECONDS ?= 20
FUZZ_TARGETS ?= $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_FLAGS   ?= -rss_limit_mb=2048 -timeout=20
FUZZ_OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined
# Longest input per target (bytes); targets not listed get FUZZ_MAXLEN_DEFAULT.
FUZZ_MAXLEN_DEFAULT := 4096
FUZZ_MAXLEN_numparse := 600
FUZZ_MAXLEN_filter := 1024
FUZZ_MAXLEN_csv := 8192
FUZZ_MAXLEN_model := 16384
FUZZ_MAXLEN_xgboost := 16384
FUZZ_MAXLEN_gbdt_json := 16384
FUZZ_MAXLEN_forest_json := 16384
FUZZ_MAXLEN_drift_profile := 16384
FUZZ_MAXLEN_payload := 8192
# run meta.yaml past 8 KiB takes the store's whole-file read path
FUZZ_MAXLEN_store := 20000

.PHONY: fuzz fuzz-ci fuzz-build

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(UILIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -iquote tests/fuzz -iquote tui -o $@ $< \
	  $(UILIB) $(LIB) $(LIBS)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT="$(FUZZ_OPT)" \
	  $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/fuzz_%)

fuzz: fuzz-build
	@fail=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts; \
	  len=$(FUZZ_MAXLEN_DEFAULT); $(foreach x,$(FUZZ_TARGETS),$(if $(FUZZ_MAXLEN_$(x)),[ $$t = $(x) ] && len=$(FUZZ_MAXLEN_$(x));)) \
	  dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s, max_len $$len"; \
	  $(FUZZ_BUILD)/fuzz/fuzz_$$t $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t $$dict \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=$$len $(FUZZ_FLAGS) \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- -print_final_stats=1 \
	    >$(FUZZ_BUILD)/fuzz_$$t.log 2>&1 || fail="$$fail $$t"; \
	  grep -E 'DONE|^SUMMARY|ERROR|^stat::(average_exec_per_sec|peak_rss_mb)' \
	    $(FUZZ_BUILD)/fuzz_$$t.log | tail -n 4; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: failures in:$$fail (logs in $(FUZZ_BUILD)/)"; exit 1; fi; \
	echo "fuzz: all targets ran clean"

fuzz-ci:
	@$(MAKE) --no-print-directory FUZZ_SECONDS=$(FUZZ_CI_SECONDS) \
	  FUZZ_FLAGS="$(FUZZ_FLAGS) -seed=1" fuzz

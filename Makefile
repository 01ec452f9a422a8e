# Amuddu Gateway — one Makefile for build, tests, demo, benchmarks and fuzzing.
#
#   make                 build the gateway, the amuddu tool, the sandbox provider and the tools
#   make test            install what is missing, build with -Werror, run every test
#   make demo            install what is missing, run a real campaign against the sandbox
#   make bench           end-to-end throughput, latency, CPU and memory figures
#   make fuzz            build the libFuzzer targets and run each for FUZZ_SECONDS
#   make SANITIZE=address,undefined test
#   make valgrind-test   unit tests under valgrind
#   make format          clang-format every source file

CC       ?= cc
SANITIZE ?=
WERROR   ?= 1
OPT      ?= -O2

PKGS := libevent hiredis libcurl jansson inih libcrypto libutf8proc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD := build/san
else
SAN_FLAGS :=
BUILD := build/default
endif

CFLAGS   := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SAN_FLAGS) -MMD -MP -I. $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS  := $(SAN_FLAGS) $(EXTRA_LDFLAGS)

UTIL_SRC     := $(wildcard gateway/util/*.c)
HANDLERS_SRC := $(wildcard handlers/*.c)
QUEUES_SRC   := $(wildcard queues/*.c)
LOCALES_SRC  := $(wildcard locales/*.c)
GATEWAY_SRC  := $(filter-out gateway/main.c,$(wildcard gateway/*.c))
CORE_SRC     := $(UTIL_SRC) $(LOCALES_SRC) $(HANDLERS_SRC) $(QUEUES_SRC) $(GATEWAY_SRC)
CORE_OBJ     := $(CORE_SRC:%.c=$(BUILD)/%.o)
UTIL_OBJ     := $(UTIL_SRC:%.c=$(BUILD)/%.o)

GATEWAY_BIN := $(BUILD)/amuddu-gateway
SANDBOX_SRC := $(wildcard tests/sandbox/*.c)
SANDBOX_BIN := $(BUILD)/amuddu-sandbox
TOOLS_SRC   := $(wildcard tests/tools/*.c)
TOOLS_BIN   := $(TOOLS_SRC:tests/tools/%.c=$(BUILD)/tools/%)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(INTEG_SRC:%.c=$(BUILD)/%)
HARNESS_SRC := tests/integration/harness.c
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o)

CLI_BIN     := $(BUILD)/amuddu

ALL_BIN := $(GATEWAY_BIN) $(SANDBOX_BIN) $(TOOLS_BIN) $(CLI_BIN)

# What each module needs (NEEDS_<module>) and what each unit test and fuzz
# target exercises (TEST_<name>). A test is linked with its modules and
# their needs, followed through: a dependency nobody declared fails to link.
include gateway/util/deps.mk locales/deps.mk handlers/deps.mk queues/deps.mk gateway/deps.mk gateway/cli/deps.mk
include tests/unit/deps.mk tests/fuzz/deps.mk
# $(call closure,MODULES): MODULES and all they need, each once (a worklist
# and the modules seen, so that modules needing each other end too).
closure = $(call closure_step,$(1),)
closure_step = $(if $(1),$(call closure_step,$(filter-out $(2) $(firstword $(1)),$(wordlist 2,$(words $(1)),$(1)) \
	$(NEEDS_$(firstword $(1)))),$(2) $(firstword $(1))),$(sort $(2)))
# $(call test_modules,NAME): what test NAME links, or an error naming the file to declare it in.
test_modules = $(if $(TEST_$(1)),$(call closure,$(TEST_$(1))),$(error $(1): declare its modules as TEST_$(1) in tests/unit/deps.mk or tests/fuzz/deps.mk))
# $(call test_objs,DIR,NAME): the objects of those modules as built in DIR.
test_objs = $(addprefix $(1)/,$(addsuffix .o,$(call test_modules,$(2))))

.PHONY: all deps test unit integration demo bench fuzz valgrind-test format clean
.DEFAULT_GOAL := all
# Keep objects that pattern rules made on the way to a binary.
.SECONDARY:
# Test prerequisites are computed from the stem of the target.
.SECONDEXPANSION:

all: $(ALL_BIN)
	@ln -sf $(GATEWAY_BIN) amuddu-gateway
	@ln -sf $(CLI_BIN) amuddu

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(GATEWAY_BIN): $(BUILD)/gateway/main.o $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The amuddu tool: its modules and what they need, followed through.
$(CLI_BIN): $$(addprefix $(BUILD)/,$$(addsuffix .o,$$(call closure,gateway/cli/amuddu)))
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(SANDBOX_BIN): $(SANDBOX_SRC:%.c=$(BUILD)/%.o) $(UTIL_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $$(call test_objs,$(BUILD),test_$$*)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

$(BUILD)/tests/integration/test_%: $(BUILD)/tests/integration/test_%.o $(HARNESS_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

deps:
	@scripts/install-deps

# The test target installs what is missing first, then builds in a sub-make so
# that pkg-config sees the freshly installed libraries.
test: deps
	@$(MAKE) --no-print-directory all-tests fuzz-build
	@scripts/check-layers
	@scripts/check-catalogs
	@scripts/run-tests $(BUILD)
	@echo "== fuzz targets on their seed corpora"
	@scripts/run-fuzz 0

.PHONY: all-tests
all-tests: $(ALL_BIN) $(UNIT_BIN) $(INTEG_BIN)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench $(BUILD)

FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) -fsanitize=fuzzer-no-link,address,undefined \
	-I. $(PKG_CFLAGS) -MMD -MP

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $< (fuzz)"
	@clang $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $$(call test_objs,build/fuzz,fuzz_$$*)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/run-fuzz $(FUZZ_SECONDS)

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BIN)

valgrind-test: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do valgrind --error-exitcode=1 --leak-check=full -q $$t || exit 1; done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build amuddu-gateway

# Not the reference builds of make bench (build/ref/<commit>/): their .d files
# name their own sources, relative to their own tree.
-include $(shell find build -path build/ref -prune -o -name '*.d' -print 2>/dev/null)

#!/bin/sh
# finscope tests: the tree's layers. Arrows only point down (1-engine <
# 2-report < 3-check < 4-cli): no file includes a header of a higher
# layer. A header in include/finscope/ belongs to the layer of the .c
# file that implements it (report.h: 2-report), else to the engine.
# Nothing below a front end prints: no file of layers 1-3 names stdout or
# stderr or calls printf, puts, g_print, g_warning and the like; they
# write to a stream they are handed and return GErrors and warnings.
# The checker is run on planted violations too, so that it cannot pass
# by seeing nothing.
. "$(dirname "$0")/lib.sh"

# layers ROOT: one line per violation in ROOT's tree; exits 1 if any.
layers() {
    python3 - "$1" <<'EOF'
import os, re, sys

root = sys.argv[1]
LAYERS = ["1-engine", "2-report", "3-check", "4-cli"]
PRINTS = re.compile(r"\b(stdout|stderr|STDOUT_FILENO|STDERR_FILENO|"
                    r"printf|vprintf|puts|putchar|perror|g_print|"
                    r"g_printerr|g_message|g_warning|g_info|g_debug|"
                    r"g_critical|g_log)\b")
# Flushing stdio before writing to a descriptor the user named as
# /dev/stdout or /dev/stderr: output the user chose, not a message.
ALLOWED = {("src/1-engine/outfile.c", "fflush(stdout);"),
           ("src/1-engine/outfile.c", "fflush(stderr);")}
CODE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'
                  r"'(?:\\.|[^'\\\n])*'", re.S)

def strip(text):
    # comments and literals out, line breaks kept for line numbers
    def blank(m):
        s = m.group(0)
        keep = '""' if s[0] == '"' else "''" if s[0] == "'" else " "
        return keep + "\n" * s.count("\n")
    return CODE.sub(blank, text)

def files(rel):
    d = os.path.join(root, rel)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(rel, f) for f in os.listdir(d)
                  if f.endswith((".c", ".h")))

layer_of = {}
for n, name in enumerate(LAYERS):
    for f in files(os.path.join("src", name)):
        layer_of[f] = n
for h in files(os.path.join("include", "finscope")):
    base = os.path.basename(h)[:-2]
    layer_of[h] = 0
    for f, n in layer_of.items():
        if f.startswith("src/") and re.search(r"(^|-)%s\.c$" % re.escape(base),
                                              os.path.basename(f)):
            layer_of[h] = n

def header(inc):
    for f in ["include/" + inc] + ["src/%s/%s" % (l, inc) for l in LAYERS]:
        if f in layer_of:
            return f
    return None

bad = 0
for f, n in sorted(layer_of.items()):
    with open(os.path.join(root, f), encoding="utf-8") as fp:
        text = fp.read()
    for no, line in enumerate(text.split("\n"), 1):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        h = header(m.group(1)) if m else None
        if h is not None and layer_of[h] > n:
            print("%s:%d: includes %s of layer %s" %
                  (f, no, m.group(1), LAYERS[layer_of[h]]))
            bad += 1
    if n == len(LAYERS) - 1:
        continue
    for no, line in enumerate(strip(text).split("\n"), 1):
        m = PRINTS.search(line)
        if m and (f, line.strip()) not in ALLOWED:
            print("%s:%d: %s below a front end" % (f, no, m.group(1)))
            bad += 1
sys.exit(1 if bad else 0)
EOF
}

check "the tree keeps its layers" layers "$G_TEST_SRCDIR"

# plant ROOT FILE LINE: a copy of the source tree in ROOT with LINE
# appended to FILE.
plant() {
    rm -rf "$1"
    mkdir -p "$1"
    cp -R "$G_TEST_SRCDIR/src" "$G_TEST_SRCDIR/include" "$1/"
    printf '%s\n' "$3" >> "$1/$2"
}

# caught NAME FILE LINE: the checker rejects LINE planted in FILE.
caught() {
    plant "$OUT/tree" "$2" "$3"
    if layers "$OUT/tree" > "$OUT/planted" 2>&1; then
        not_ok "finds $1"
    elif grep -q "^$2:" "$OUT/planted"; then
        ok "finds $1"
    else
        not_ok "finds $1 in $2"
        sed 's/^/# /' "$OUT/planted"
    fi
}

caught "fprintf(stderr) in the engine" src/1-engine/reader.c \
    'static void f(void) { fprintf(stderr, "x\n"); }'
caught "g_warning in a report" src/2-report/report.c \
    'static void f(void) { g_warning("x"); }'
caught "printf in the check back end" src/3-check/policy.c \
    'static void f(void) { printf("x\n"); }'
caught "the engine including a report header" src/1-engine/engine.c \
    '#include "finscope/report.h"'
caught "a report including a front end's header" src/2-report/report.c \
    '#include "cli.h"'
caught "the check back end including a front end's header" \
    src/3-check/policy.c '#include "metrics.h"'
caught "a public engine header including a check header" \
    include/finscope/engine.h '#include "policy.h"'

# Comments and strings may say "stderr"; front ends may print.
plant "$OUT/tree" src/1-engine/reader.c '/* says stderr */'
printf '%s\n' 'static const char s[] = "stdout";' \
    >> "$OUT/tree/src/2-report/report.c"
printf '%s\n' 'static void f(void) { fprintf(stderr, "x\n"); }' \
    >> "$OUT/tree/src/4-cli/main.c"
check "comments, strings and front ends pass" layers "$OUT/tree"

finish

#!/bin/sh
# finscope tests: the man pages lint clean and document every option that
# --help prints, the bash completion completes options and their files,
# and README starts with its two commands and a report finscope prints.
. "$(dirname "$0")/lib.sh"

DOC="$G_TEST_SRCDIR/doc"
COMPLETION="$G_TEST_SRCDIR/contrib/bash-completion/finscope"
README="$G_TEST_SRCDIR/README.md"

# lint PAGE: mandoc's warnings and errors (not its style notes, such as
# a referenced page not installed here), else groff's warnings.
lint() {
    if command -v mandoc > /dev/null; then
        mandoc -T lint -W warning "$1" 2>&1
    else
        groff -ww -z -mandoc "$1" 2>&1
    fi
}

# help_options ARGS...: one line per option finscope ARGS --help prints,
# "-r --read" or "--json".
help_options() {
    "$FINSCOPE" "$@" --help |
        sed -n 's/^  \(-[A-Za-z0-9]\), \(--[a-z0-9-]*\).*/\1 \2/p
                s/^  \(--[a-z0-9-]*\).*/\1/p'
}

# documents PAGE ARGS...: every option of finscope ARGS --help has its
# ".It Fl x , Fl -long" (or ".It Fl -long") block in PAGE.
documents() {
    page=$1
    shift
    options=$(help_options "$@")
    [ -n "$options" ] || { echo "no options read from --help"; return 1; }
    missing=$(printf '%s\n' "$options" | while read -r short long; do
        if [ -n "$long" ]; then
            re="^\.It Fl ${short#-} , Fl ${long#-}( |$)"
        else
            re="^\.It Fl ${short#-}( |$)"
            long=$short
        fi
        grep -Eq -- "$re" "$page" || printf '%s ' "$long"
    done)
    [ -z "$missing" ] || {
        echo "$(basename "$page") has no .It block for: $missing"
        return 1
    }
}

for page in finscope.1 finscope-check.1; do
    if ! command -v mandoc > /dev/null && ! command -v groff > /dev/null
    then
        skip "$page lints clean: neither mandoc nor groff installed"
        continue
    fi
    warnings=$(lint "$DOC/$page")
    if [ -z "$warnings" ]; then
        ok "$page lints clean"
    else
        not_ok "$page lints clean"
        printf '%s\n' "$warnings" | sed 's/^/# /'
    fi
done
check "finscope.1 documents every option of finscope --help" \
    documents "$DOC/finscope.1"
check "finscope-check.1 documents every option of finscope check --help" \
    documents "$DOC/finscope-check.1" check
# the check itself: a page that lost a block fails it
sed '/^\.It Fl -json$/d' "$DOC/finscope.1" > "$OUT/no-json.1"
if documents "$OUT/no-json.1" > "$OUT/no-json.out"; then
    not_ok "a page without --json fails the check"
else
    check "a page without --json fails the check, naming it" \
        grep -q -- '--json' "$OUT/no-json.out"
fi

# completion_of WORDS...: what the completion offers for the last word,
# one a line; the first word is finscope itself.
completion_of() {
    bash -c '. "$1"; shift
             COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _finscope
             printf "%s\n" "${COMPREPLY[@]}"' \
        sh "$COMPLETION" "$FINSCOPE" "$@"
}

# completes_to WANT WORDS...: the completion offers exactly WANT.
completes_to() {
    want=$1
    shift
    got=$(completion_of "$@")
    [ "$got" = "$want" ] || { echo "offered '$got', want '$want'"; return 1; }
}

if command -v bash > /dev/null; then
    check "completion: finscope --js gives --json and --json-flat" \
        completes_to "$(printf '%s\n' --json --json-flat)" --js
    check "completion: finscope check --ba gives --baseline" \
        completes_to --baseline check --ba
    check "completion: finscope ch gives the subcommand" \
        completes_to check ch
    check "completion: --os values" completes_to windows --os w
    check "completion: --os=VALUE as one word" completes_to --os=macos --os=ma
    check "completion: -r completes files" completes_to \
        "$SAMPLES/server-close-first-v4.pcap" -r "$SAMPLES/server-close-first-v4.p"
    : > "$OUT/report-junit.xml"
    check "completion: check --junit completes files" completes_to \
        "$OUT/report-junit.xml" check --junit "$OUT/report-j"
    check "completion: -p is not a file for finscope (no promiscuous)" \
        completes_to --closes-only -p --closes
    help_options | tr ' ' '\n' | grep -- '^--' | sort > "$OUT/help-long"
    completion_of -- | grep -- '^--' | sort > "$OUT/completed-long"
    check "completion: offers every long option of finscope --help" \
        diff "$OUT/help-long" "$OUT/completed-long"
    help_options check | tr ' ' '\n' | grep -- '^--' | sort > "$OUT/help-long"
    completion_of check -- | grep -- '^--' | sort > "$OUT/completed-long"
    check "completion: offers every long option of finscope check --help" \
        diff "$OUT/help-long" "$OUT/completed-long"
else
    skip "completion: bash not installed"
fi

# README: starts with its two set-up commands, then within 40 lines a
# report that is finscope's real output on the sample it names.
first_block=$(sed -n '/^```/,/^```/p' "$README" | sed -n '2,3p')
check "README starts with the two set-up commands" test "$first_block" = \
"./scripts/setup.sh && make demo
./scripts/setup.sh && make check check-slow"
sample=$(sed -n 's/^\$ finscope -r \(samples\/[^ ]*\.pcap\)$/\1/p' "$README" |
         head -n 1)
if [ -n "$sample" ]; then
    awk -v s="$ finscope -r $sample" '
        $0 == s { on = 1; next }
        on && /^```$/ { print NR > "/dev/stderr"; exit }
        on' "$README" > "$OUT/readme-report" 2> "$OUT/readme-end"
    "$FINSCOPE" -r "$G_TEST_SRCDIR/$sample" > "$OUT/report" 2>&1
    check "README's sample report is finscope -r $sample today" \
        diff -u "$OUT/readme-report" "$OUT/report"
    check "README's sample report ends within its first 40 lines" \
        test "$(cat "$OUT/readme-end")" -le 40
else
    not_ok "README shows a report: no '\$ finscope -r samples/NAME.pcap' line"
fi

# unnamed HACKING SRCDIR: the .c files under SRCDIR's src/ that the Layout
# section of HACKING (doc/HACKING.md, README's pointer for developers)
# does not name as `file.c`, one a line.
unnamed() {
    sed -n '/^## Layout$/,/^## [^L]/p' "$1" > "$OUT/layout"
    for f in "$2"/src/*/*.c; do
        grep -qF "\`$(basename "$f")\`" "$OUT/layout" || echo "$f"
    done
}
# names_all HACKING SRCDIR: fails naming the files unnamed() finds.
names_all() {
    missing=$(unnamed "$@")
    [ -z "$missing" ] || { echo "not in the Layout:" $missing; return 1; }
}
check "HACKING's Layout names every source file" \
    names_all "$DOC/HACKING.md" "$G_TEST_SRCDIR"
# the check itself: a Layout without engine.c fails it, naming it
sed 's/`engine\.c`/the pipeline/g' "$DOC/HACKING.md" > "$OUT/no-engine.md"
check "a Layout without engine.c fails the check, naming it" \
    test "$(unnamed "$OUT/no-engine.md" "$G_TEST_SRCDIR")" = \
    "$G_TEST_SRCDIR/src/1-engine/engine.c"

finish

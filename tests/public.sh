#!/bin/sh
# finscope tests: real captures from other projects' public test suites
# (tests/public/MANIFEST) give the answers written by hand from their
# packet listings (tests/public/NAME.expect, read by tests/public/expect.py).
# The captures are not in this repository (see tests/public/README.md):
# they are read from $FINSCOPE_PUBLIC_CAPTURES, else from
# ../shared/public-captures beside the source tree, as NAME.EXT (EXT that
# of the file in its project); a capture not there is skipped, one whose
# sha256 differs from the manifest's fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/public/answer.sh"

PUBLIC="$G_TEST_SRCDIR/tests/public"
CAPTURES=${FINSCOPE_PUBLIC_CAPTURES:-$G_TEST_SRCDIR/../shared/public-captures}

n_entries=0
while read -r cap source path licence sum why; do
    case $cap in ''|'#'*) continue ;; esac
    n_entries=$((n_entries + 1))
    expect="$PUBLIC/$cap.expect"
    check "$cap: has an answer and a reason ($source, $licence)" \
        test -f "$expect" -a -n "$why" -a ${#sum} -eq 64
    [ -f "$expect" ] || continue
    file="$CAPTURES/$cap.${path##*.}"
    if [ ! -f "$file" ]; then
        skip "$cap: capture $file not present (tests/public/README.md)"
        continue
    fi
    got=$(sha256sum "$file" | cut -d' ' -f1)
    if [ "$got" != "$sum" ]; then
        not_ok "$cap: sha256 of $file is the manifest's"
        echo "# got $got, manifest $sum"
        continue
    fi
    answer "$cap" "$expect" "$file"
done < "$PUBLIC/MANIFEST"
check "the manifest lists captures" test "$n_entries" -ge 10

# Every answer belongs to a manifest entry (no answer left unchecked).
for expect in "$PUBLIC"/*.expect; do
    cap=$(basename "$expect" .expect)
    check "$cap.expect is in the manifest" \
        grep -q "^$cap[[:space:]]" "$PUBLIC/MANIFEST"
done
finish

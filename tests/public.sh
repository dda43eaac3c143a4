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

# The checker itself: on a golden report, each true line passes and
# each false one fails (key=, key!=, key~=, key!~, missing keys, verbs).
self_check() {
    c='10.2.0.1:44000 10.2.0.2:6379'
    cat > "$OUT/self.expect" <<EOT
conn $c close=graceful state.client=TIME_WAIT|CLOSED flags~=simultaneous_close
conn $c close=reset
conn $c rst_from!=null
conn $c flags!~simultaneous_close
conn $c no_such_field=1
conns $c 1
conns $c 2
event $c kind=simultaneous_close endpoint=client|server
noevent $c kind=simultaneous_close
noconn close=open
noconn close=graceful
EOT
    python3 "$PUBLIC/expect.py" "$OUT/self.expect" \
        "$SAMPLES/crafted-simultaneous-loop.jsonl" | cut -f1 |
        tr '\n' ',' > "$OUT/self.res"
    want='ok,not ok,not ok,not ok,not ok,ok,not ok,ok,not ok,ok,not ok,'
    [ "$(cat "$OUT/self.res")" = "$want" ] || {
        echo "got  $(cat "$OUT/self.res")"; echo "want $want"; return 1
    }
}
check "expect.py passes true lines and fails false ones" self_check

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

# Every answer belongs to a manifest entry (no answer left unchecked)
# and ships in the tarball.
for expect in "$PUBLIC"/*.expect; do
    cap=$(basename "$expect" .expect)
    check "$cap.expect is in the manifest and in Makefile.am's EXTRA_DIST" \
        sh -c 'grep -q "^$1[[:space:]]" "$2/tests/public/MANIFEST" &&
               grep -q "tests/public/$1.expect" "$2/Makefile.am"' \
        - "$cap" "$G_TEST_SRCDIR"
done
finish

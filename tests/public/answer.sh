# finscope tests: answer NAME EXPECT PCAP (sourced after tests/lib.sh) runs
# finscope --json --events on PCAP and prints one TAP line per line of the
# hand-written answer EXPECT (format in tests/public/expect.py).
answer() {
    a_name=$1 a_expect=$2 a_pcap=$3
    a_opts=$(sed -n 's/^options[[:space:]]//p' "$a_expect" | head -n 1)
    # @SAMPLES@ in the options is the samples directory (a second capture
    # read with the first: options -r @SAMPLES@/NAME-s.pcap)
    a_rest=$a_opts a_opts=
    while :; do
        case $a_rest in
            *@SAMPLES@*)
                a_opts=$a_opts${a_rest%%@SAMPLES@*}$SAMPLES
                a_rest=${a_rest#*@SAMPLES@} ;;
            *)
                a_opts=$a_opts$a_rest
                break ;;
        esac
    done
    # shellcheck disable=SC2086
    fs_run "$OUT/$a_name.jsonl" --json --events -r "$a_pcap" $a_opts || return
    python3 "$G_TEST_SRCDIR/tests/public/expect.py" "$a_expect" \
        "$OUT/$a_name.jsonl" > "$OUT/$a_name.res" 2>&1 || {
        not_ok "$a_name: expect.py ran"
        sed 's/^/# /' "$OUT/$a_name.res"
        return
    }
    [ -s "$OUT/$a_name.res" ] || not_ok "$a_name: the answer has checks"
    while IFS="$(printf '\t')" read -r a_status a_line a_why; do
        if [ "$a_status" = ok ]; then
            ok "$a_name: $a_line"
        else
            not_ok "$a_name: $a_line"
            echo "# $a_why"
        fi
    done < "$OUT/$a_name.res"
}

#!/usr/bin/env python3
# finscope tests: compares finscope's --json --events report with an
# answer written by hand from a packet listing (tests/public/*.expect,
# samples/*.truth-hand). Usage: expect.py ANSWER REPORT.jsonl
#
# Answer lines ('#' starts a comment; fields split on blanks):
#   capture FILE             the capture (tests/public.sh only)
#   options ARG...           extra finscope options; @SAMPLES@ in them is
#                            the samples directory (tests/public/answer.sh)
#   conn C S [@N] COND...    the connection C -> S (addr:port; [v6]:port)
#                            meets every COND; @N is its Nth incarnation
#                            (1 = first), default the last one
#   conns C S N              C -> S has exactly N conn records
#   event C S [@N] COND...   some event of C -> S meets every COND
#   noevent C S [@N] COND... no event of C -> S meets every COND
#   noconn COND...           no connection of the capture meets every COND
#   host ADDR COND...        the summary's time_wait_by_host entry of ADDR
#                            meets every COND (peak=1 entered=1); "host
#                            ADDR absent": it has none
#   summary COND...          the summary record meets every COND
#                            (time_wait_peak=1 time_wait_at_end=0)
# COND: key=A|B (the value is A or B), key!=A, key~=A (the list holds A;
# of a list of objects, such as undecided, their "field"),
# key!~A (the list lacks A). Keys follow the JSON record, dotted into
# objects (state.client); values print as JSON scalars (null, true, 3).
# A key the record lacks fails key=, key~= and passes key!=, key!~: an
# answer naming a field finscope does not report yet fails, as it should.
#
# Output: one line per answer line, "ok<TAB>TEXT" or
# "not ok<TAB>TEXT<TAB>WHY", for tests/public.sh to turn into TAP.
import json
import re
import sys

COND = re.compile(r"^([A-Za-z0-9_.]+)(=|!=|~=|!~)(.*)$")


def lookup(rec, key):
    cur = rec
    for part in key.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def text(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def same(v, want):
    if text(v) == want:
        return True
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        try:
            return float(want) == float(v)
        except ValueError:
            return False
    return False


def holds(rec, cond):
    """(True, '') when rec meets cond, else (False, what it has)."""
    m = COND.match(cond)
    if not m:
        raise ValueError(f"bad condition '{cond}'")
    key, op, want = m.groups()
    present, v = lookup(rec, key)
    if op in ("=", "!="):
        hit = present and any(same(v, w) for w in want.split("|"))
        good = hit if op == "=" else not hit
    else:
        # a list of objects with a "field" (undecided) holds their fields
        items = [x.get("field") if isinstance(x, dict) else x
                 for x in v] if present and isinstance(v, list) else []
        hit = present and isinstance(v, list) and \
            want in [text(x) for x in items]
        good = hit if op == "~=" else not hit
    shown = json.dumps(v) if present else "absent"
    return good, f"{key}={shown}"


def incarnations(conns, client, server):
    return [c for c in conns
            if c["client"] == client and c["server"] == server]


def pick(rest):
    """Splits '[@N] COND...' into (N or None, conds)."""
    if rest and rest[0].startswith("@"):
        return int(rest[0][1:]), rest[1:]
    return None, rest


def run(answer_path, report_path):
    recs = [json.loads(line) for line in open(report_path)]
    conns = [r for r in recs if r.get("type") == "conn"]
    events = [r for r in recs if r.get("type") == "event"]
    summary = next((r for r in recs if r.get("type") == "summary"), {})
    hosts = summary.get("time_wait_by_host", {})
    results = []
    for raw in open(answer_path):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split()
        verb = f[0]
        if verb in ("capture", "options"):
            continue
        try:
            if verb == "host":
                results.append((line,) + judge_host(f[1:], hosts))
            elif verb == "summary":
                results.append((line,) + judge_summary(f[1:], summary))
            else:
                results.append((line,) + judge(verb, f[1:], conns,
                                               events))
        except (ValueError, IndexError) as err:
            results.append((line, False, f"bad answer line: {err}"))
    return results


def judge_host(args, hosts):
    addr, conds = args[0], args[1:]
    if conds == ["absent"]:
        return addr not in hosts, "finscope: " + json.dumps(hosts.get(addr))
    for x in conds:
        if not COND.match(x):
            raise ValueError(f"bad condition '{x}'")
    if addr not in hosts:
        return False, "no such host in time_wait_by_host"
    wrong = [why for ok, why in (holds(hosts[addr], x) for x in conds)
             if not ok]
    return not wrong, "finscope: " + " ".join(wrong)


def judge_summary(conds, summary):
    for x in conds:
        if not COND.match(x):
            raise ValueError(f"bad condition '{x}'")
    wrong = [why for ok, why in (holds(summary, x) for x in conds)
             if not ok]
    return not wrong, "finscope: " + " ".join(wrong)


def judge(verb, args, conns, events):
    if verb == "noconn":
        bad = [c for c in conns if all(holds(c, x)[0] for x in args)]
        return (not bad,
                "; ".join(f"#{c['id']} {c['client']}" for c in bad[:5]))
    client, server = args[0], args[1]
    inc = incarnations(conns, client, server)
    if verb == "conns":
        return len(inc) == int(args[2]), f"{len(inc)} conn records"
    n, conds = pick(args[2:])
    # every condition well formed, checked first: all() below stops at
    # the first false one, and a value with a blank split into a word
    # that is no condition would pass unread
    for x in conds:
        if not COND.match(x):
            raise ValueError(f"bad condition '{x}'")
    if not inc:
        return False, "no such connection in the report"
    if n is not None:
        if n > len(inc):
            return False, f"only {len(inc)} incarnations"
        inc = [inc[n - 1]]
    if verb == "conn":
        conn = inc[-1]
        checks = [holds(conn, x) for x in conds]
        wrong = [why for ok, why in checks if not ok]
        return not wrong, "finscope: " + " ".join(wrong)
    ids = {c["id"] for c in inc}
    mine = [e for e in events if e.get("conn") in ids]
    hits = [e for e in mine if all(holds(e, x)[0] for x in conds)]
    if verb == "event":
        kinds = sorted({e["kind"] for e in mine})
        return bool(hits), "no such event; kinds seen: " + " ".join(kinds)
    if verb == "noevent":
        shown = json.dumps(hits[0]) if hits else ""
        return not hits, "finscope printed: " + shown
    raise ValueError(f"unknown verb '{verb}'")


def main():
    results = run(sys.argv[1], sys.argv[2])
    for line, good, why in results:
        if good:
            print(f"ok\t{line}")
        else:
            print(f"not ok\t{line}\t{why}")


if __name__ == "__main__":
    main()

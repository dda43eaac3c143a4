#!/usr/bin/env python3
"""finscope tests: one capture's text summary, JSON summary, Prometheus
exposition and `check` baseline summary agree number for number.

Usage: tally-agree.py DIR NAME...: for each NAME, DIR/NAME.txt (text),
.jsonl, .prom (exposition) and .expect (baseline); one TAP line each
("ok N - tally NAME", what differs as # lines). Exits 1 when anything
differs."""
import json
import re
import sys

STUCK = ["FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK"]


def text_summary(path):
    v = {}
    lines = open(path).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("Summary"))
    hosts = {}
    for l in lines[start + 1:]:
        if not l.startswith("  "):
            break
        m = re.match(r"  (\S.*?)\s{2,}(\S.*)$", l)
        if l.startswith("  stuck in "):
            st, n = re.match(r"  stuck in (\S+)\s+(\d+) endpoints", l).groups()
            v["stuck " + st] = int(n)
            continue
        if not m:
            continue
        key, rest = m.groups()
        nums = [int(x) for x in re.findall(r"(?<![\w.])\d+(?![\w.:])", rest)]
        if key == "connections":
            v["connections"] = nums[0]
        elif key == "closed gracefully":
            v["close graceful"] = nums[0]
        elif key == "closed by RST":
            v["close reset"], v["rst_from client"], v["rst_from server"] = nums[:3]
        elif key == "close incomplete":
            v["close incomplete"] = nums[0]
        elif key == "still open":
            v["close open"] = nums[0]
        elif key == "active closer":
            v["closer client"], v["closer server"] = nums[:2]
        elif key == "simultaneous closes":
            v["closer simultaneous"] = nums[0]
        elif key == "half-closes":
            v["half_closes"] = nums[0]
        elif key == "FIN retransmissions":
            v["fin_retransmits"] = nums[0]
        elif key == "TIME_WAIT at end":
            v["time_wait_at_end"] = int(rest.split()[0])
            for h, n in re.findall(r"([0-9a-f.:]+) (\d+)(?=[,)])", rest):
                hosts[h] = int(n)
    for st in STUCK:
        v.setdefault("stuck " + st, 0)
    return v, hosts


def json_summary(path):
    s = None
    for line in open(path):
        o = json.loads(line)
        if o.get("type") == "summary":
            s = o
    v = {"connections": s["connections"]}
    for k, n in s["close"].items():
        v["close " + k] = n
    for k, n in s["active_closer"].items():
        v["closer " + k] = n
    for k, n in s["rst_from"].items():
        v["rst_from " + k] = n
    for k in ["half_closes", "three_way_closes", "fin_retransmits",
              "final_ack_lost", "one_sided", "roles_inferred",
              "time_wait_at_end"]:
        v[k] = s[k]
    for st in STUCK:
        v["stuck " + st] = s["end_states"].get(st, 0)
    return v, dict(s["time_wait_hosts"])


def prom_summary(path):
    v = {"connections": 0}
    for line in open(path):
        if line.startswith("#"):
            continue
        m = re.match(r'(\w+)(?:\{(\w+)="([^"]*)"\})? (\d+)$', line.strip())
        if not m:
            continue
        name, label, value, n = m.groups()
        n = int(n)
        if name == "finscope_connections_finished_total":
            v["close " + value] = n
            v["connections"] += n
        elif name == "finscope_closes_total":
            v["closer " + value] = n
        elif name == "finscope_resets_total":
            v["rst_from " + value] = n
        elif name == "finscope_fin_retransmits_total":
            v["fin_retransmits"] = n
        elif name == "finscope_reuse_in_time_wait_total":
            v["reuse_in_time_wait"] = n
        elif name == "finscope_stuck_endpoints":
            v["stuck " + value] = n
    return v, None


CHECK_NAMES = {
    "connections": "connections",
    "graceful_closes": "close graceful",
    "resets": "close reset",
    "incomplete_closes": "close incomplete",
    "open": "close open",
    "client_active_closes": "closer client",
    "server_active_closes": "closer server",
    "simultaneous_closes": "closer simultaneous",
    "rst_from_client": "rst_from client",
    "rst_from_server": "rst_from server",
    "half_closes": "half_closes",
    "three_way_closes": "three_way_closes",
    "fin_retransmits": "fin_retransmits",
    "final_ack_lost": "final_ack_lost",
    "time_wait_at_end": "time_wait_at_end",
    "one_sided": "one_sided",
    "roles_inferred": "roles_inferred",
    "reuse_in_time_wait": "reuse_in_time_wait",
}
for _st in STUCK:
    CHECK_NAMES["stuck_" + _st.lower()] = "stuck " + _st


def check_summary(path):
    v = {}
    hosts = {}
    for line in open(path):
        w = line.split()
        if len(w) != 3 or w[0] != "summary":
            continue
        m = re.match(r'time_wait_at_end\{host="([^"]*)"\}$', w[1])
        if m:
            hosts[m.group(1)] = int(w[2])
        elif w[1] in CHECK_NAMES:
            v[CHECK_NAMES[w[1]]] = int(w[2])
    return v, hosts


def disagreements(base):
    """What differs between the four views of one capture, as lines."""
    views = {
        "text": text_summary(base + ".txt"),
        "json": json_summary(base + ".jsonl"),
        "metrics": prom_summary(base + ".prom"),
        "check": check_summary(base + ".expect"),
    }
    out = []
    keys = sorted(set().union(*(v[0].keys() for v in views.values())))
    compared = 0
    for k in keys:
        got = {name: v[0][k] for name, v in views.items() if k in v[0]}
        if len(got) < 2:
            out.append("only %s has %s" % (", ".join(got), k))
            continue
        compared += len(got) - 1
        if len(set(got.values())) != 1:
            out.append("%s differs: %s" % (k, got))
    # hosts: text and JSON show the busiest; check lists every host
    every = views["check"][1]
    for name in ["text", "json"]:
        for h, n in views[name][1].items():
            if every.get(h) != n:
                out.append("TIME_WAIT at end on %s: %s %d, check %s"
                           % (h, name, n, every.get(h)))
    if sum(every.values()) != views["check"][0].get("time_wait_at_end"):
        out.append("check's TIME_WAIT hosts do not add up to "
                   "time_wait_at_end")
    if compared < 40:
        out.append("only %d comparisons made" % compared)
    return out


def main():
    failed = 0
    for n, name in enumerate(sys.argv[2:], 1):
        try:
            bad = disagreements(sys.argv[1] + "/" + name)
        except (OSError, ValueError, KeyError, StopIteration, TypeError) as e:
            bad = ["cannot read the views: %r" % e]
        print("%sok %d - tally %s" % ("not " if bad else "", n, name))
        for line in bad:
            print("# " + line)
        failed += bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

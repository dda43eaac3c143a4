#!/usr/bin/env python3
"""finscope tests: an answer of contrib/clickhouse/queries.sql against
finscope's own summary and service records of the same capture.

Usage: clickhouse-agree.py CHECK REPORT QUERIES CLIENT...
  CHECK    total, closes, or a query's name in QUERIES
  REPORT   finscope --json --top 0 output of what the table holds
  CLIENT   clickhouse-client and its options
Exit status 0 when they agree (and there was something to compare);
what differs goes to stdout."""
import json
import re
import subprocess
import sys


def query(client, text):
    out = subprocess.run(client + ["--query", text + " FORMAT TabSeparated"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("query failed: %s" % out.stderr.strip())
    return [line.split("\t") for line in out.stdout.splitlines()]


def queries(path):
    with open(path) as f:
        text = f.read()
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^-- query: (\S+)\n(.*?);[ \t]*$", text, re.S | re.M)}


def same(what, got, want):
    if got != want:
        print("%s: SQL %r, finscope %r" % (what, got, want))
        return False
    return True


def nonzero(counts):
    return {k: v for k, v in counts.items() if v}


def check_total(rows, summary, services):
    return same("connections", int(rows[0][0]), summary["connections"])


def check_closes(rows, summary, services):
    kinds, closers = {}, {}
    for close, closer, n in rows:
        kinds[close] = kinds.get(close, 0) + int(n)
        if closer != "-":
            closers[closer] = closers.get(closer, 0) + int(n)
    return (same("close kinds", kinds, nonzero(summary["close"])) &
            same("active closers", closers,
                 nonzero(summary["active_closer"])))


def check_services_closing_first(rows, summary, services):
    ok = same("services listed", len(rows), min(20, len(services)))
    for server, conns, sfirst, cfirst, simul, _ in rows:
        svc = services[server]
        ok &= same(server, (int(conns), int(cfirst), int(sfirst), int(simul)),
                   (svc["connections"], svc["active_closer"]["client"],
                    svc["active_closer"]["server"],
                    svc["active_closer"]["simultaneous"]))
    most = max(s["active_closer"]["server"] for s in services.values())
    return ok & same("most server-first closes", int(rows[0][2]), most)


def check_rst_senders(rows, summary, services):
    return same("rst senders", [(r[0], int(r[1])) for r in rows],
                [(s["sender"], s["resets"]) for s in summary["rst_senders"]])


def check_port_pressure(rows, summary, services):
    sql = {(r[0], r[1]): (int(r[3]), int(r[5])) for r in rows}
    eng = {(p["client"], p["destination"]):
           (p["time_wait_peak"], p["used_permille"])
           for p in summary["port_pressure"]}
    ok = same("peaks, busiest first", [int(r[3]) for r in rows],
              [p["time_wait_peak"] for p in summary["port_pressure"]])
    least = min(v[0] for v in eng.values())
    for pair, value in eng.items():
        # a pair tied at the bottom may give way to another in the top 10
        if value[0] > least or pair in sql:
            ok &= same("%s -> %s peak, permille" % pair, sql.get(pair), value)
    return ok


def check_fin_retransmits(rows, summary, services):
    ok = True
    for server, _, fin_retransmits, _, _ in rows:
        ok &= same(server, int(fin_retransmits),
                   services[server]["fin_retransmits"])
    if len(rows) < 20:   # every service listed
        ok &= same("FINs re-sent, all", sum(int(r[2]) for r in rows),
                   summary["fin_retransmits"])
    return ok


def check_close_wait_stuck(rows, summary, services):
    ok = True
    for server, role, n, _ in rows:
        ok &= same("%s %s" % (server, role), int(n),
                   services[server]["stuck"][role].get("CLOSE_WAIT", 0))
    if len(rows) < 20:   # every service listed
        ok &= same("CLOSE_WAIT at the end", sum(int(r[2]) for r in rows),
                   summary["end_states"].get("CLOSE_WAIT", 0))
    return ok


# Most TIME_WAIT held at once per service, either side: the spans
# (time_wait_since/end) as report-service.c counts its time_wait_peak.
SERVICE_PEAKS = """
SELECT server,
       arrayReduce('max', arrayCumSum(arrayMap(e -> if(e % 2 = 1, 1, -1),
                                               arraySort(groupArray(edge)))))
FROM
(
    SELECT server, arrayJoin(
        [assumeNotNull(time_wait_since_client_ns) * 2 + 1,
         assumeNotNull(time_wait_end_client_ns) * 2]) AS edge
    FROM finscope.conns WHERE time_wait_since_client_ns IS NOT NULL
    UNION ALL
    SELECT server, arrayJoin(
        [assumeNotNull(time_wait_since_server_ns) * 2 + 1,
         assumeNotNull(time_wait_end_server_ns) * 2]) AS edge
    FROM finscope.conns WHERE time_wait_since_server_ns IS NOT NULL
)
GROUP BY server"""


def check_service_time_wait_peak(rows, summary, services):
    return same("TIME_WAIT peak per service",
                {r[0]: int(r[1]) for r in rows},
                {s["server"]: s["time_wait_peak"] for s in services.values()
                 if s["time_wait_peak"]})


def main():
    check, report, qpath = sys.argv[1:4]
    client = sys.argv[4:]
    summary, services = None, {}
    with open(report) as f:
        for line in f:
            rec = json.loads(line)
            if rec["type"] == "summary":
                summary = rec
            elif rec["type"] == "service":
                services[rec["server"]] = rec
    text = {"total": "SELECT count() FROM finscope.conns",
            "service_time_wait_peak": SERVICE_PEAKS}.get(check)
    rows = query(client, text or queries(qpath)[check])
    if not rows:
        sys.exit("%s: no rows: nothing to compare" % check)
    name = "check_" + check
    sys.exit(0 if globals()[name](rows, summary, services) else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Asks a Prometheus server's HTTP API, for tests/prometheus-live.sh.

  value URL EXPR         the value of EXPR's one sample ("empty" if none,
                         "error: ..." on a query error)
  by URL LABEL EXPR      "LABEL=value" a line, one per sample, sorted
  queries URL DASHBOARD  runs every PromQL query of the Grafana DASHBOARD
                         ($__rate_interval as 30s, $instance as .*) and
                         every rule the server loaded; one line each,
                         "ok" or "error", and exits 1 on any error
  rules URL              one line per loaded rule: health, name, error

URL is the server's base, e.g. http://127.0.0.1:9090.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def api(url, path, params=None):
    full = url + path
    if params:
        full += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(full, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        # a bad query is a 400 with the error in the JSON body
        return json.load(e)


def query(url, expr):
    return api(url, "/api/v1/query", {"query": expr})


def samples(url, expr):
    r = query(url, expr)
    if r.get("status") != "success":
        raise RuntimeError(r.get("error", "no error text"))
    data = r["data"]
    if data["resultType"] == "scalar":
        return [({}, data["result"][1])]
    return [(s["metric"], s["value"][1]) for s in data["result"]]


def fmt(v):
    f = float(v)
    return str(int(f)) if f == int(f) else v


def dashboard_queries(path):
    board = json.load(open(path))
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield (target["expr"].replace("$__rate_interval", "30s")
                   .replace("$instance", ".*"))


def loaded_rules(url):
    for group in api(url, "/api/v1/rules")["data"]["groups"]:
        for rule in group["rules"]:
            yield rule


def main():
    what, url = sys.argv[1], sys.argv[2]
    if what == "value":
        try:
            got = samples(url, sys.argv[3])
        except RuntimeError as e:
            print("error: %s" % e)
            return 0
        print(fmt(got[0][1]) if len(got) == 1 else
              "empty" if not got else "%d samples" % len(got))
    elif what == "by":
        label = sys.argv[3]
        lines = ["%s=%s" % (m.get(label, ""), fmt(v))
                 for m, v in samples(url, sys.argv[4])]
        print("\n".join(sorted(lines)))
    elif what == "queries":
        exprs = list(dashboard_queries(sys.argv[3]))
        exprs += [r["query"] for r in loaded_rules(url)]
        errors = 0
        for expr in exprs:
            r = query(url, expr)
            if r.get("status") == "success":
                print("ok %d samples: %s" % (len(r["data"]["result"]), expr))
            else:
                errors += 1
                print("error %s: %s" % (r.get("error"), expr))
        print("%d queries, %d errors" % (len(exprs), errors))
        return 1 if errors or not exprs else 0
    elif what == "rules":
        for rule in loaded_rules(url):
            print("%s %s %s" % (rule.get("health"), rule["name"],
                                rule.get("lastError", "")))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""finscope tests: validate NDJSON files against the JSON Schema.

usage: validate-json.py SCHEMA FILE...; prints one line per problem and
exits 1 if any object does not validate, or a file has no summary line.
"""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        kinds = set()
        with open(path) as f:
            for n, line in enumerate(f, 1):
                obj = json.loads(line)
                kinds.add(obj.get("type"))
                for err in validator.iter_errors(obj):
                    bad += 1
                    print(f"{path}:{n}: {err.message}")
        if "summary" not in kinds:
            bad += 1
            print(f"{path}: no summary object")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

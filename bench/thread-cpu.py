#!/usr/bin/env python3
"""finscope bench: CPU seconds of each thread of a command.

Usage: bench/thread-cpu.py COMMAND [ARGS...]

Runs COMMAND (stdout to /dev/null) and samples /proc/PID/task/*/stat
every 5 ms until it exits; prints each thread's name and its last seen
user + system CPU seconds. On a machine with fewer cores than threads
the wall time says little; the busiest thread's CPU time bounds the
wall time on one with enough cores. A thread's last few ms may be
missed."""
import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tick = os.sysconf("SC_CLK_TCK")
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    seen = {}
    while proc.poll() is None:
        try:
            tids = os.listdir("/proc/%d/task" % proc.pid)
        except OSError:
            break
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/stat" % (proc.pid, tid)) as f:
                    stat = f.read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            seen[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / tick)
        time.sleep(0.005)
    for tid in sorted(seen):
        name, cpu = seen[tid]
        print("%-18s %.2f s" % (name, cpu))
    sys.exit(proc.wait())


if __name__ == "__main__":
    main()

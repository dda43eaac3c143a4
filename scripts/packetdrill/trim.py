#!/usr/bin/env python3
# finscope: trim.py FULL.pcap PACKETDRILL.log OUT.pcap keeps the frames
# of FULL.pcap stamped before packetdrill's teardown ("PD_TEARDOWN
# <epoch>.<usec>" in its log): what the script stated and checked.
import re
import struct
import sys

full, log, out = sys.argv[1:4]
m = re.search(r"PD_TEARDOWN (\d+)\.(\d+)", open(log).read())
if not m:
    sys.exit(f"{log}: no PD_TEARDOWN line (packetdrill without the marker)")
cut = (int(m.group(1)), int(m.group(2)))
with open(full, "rb") as f:
    data = f.read()
magic = data[:4]
endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}.get(magic)
if endian is None:
    sys.exit(f"{full}: not a microsecond pcap file")
kept = [data[:24]]
pos = 24
n = 0
while pos + 16 <= len(data):
    sec, usec, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
    rec = data[pos:pos + 16 + incl]
    pos += 16 + incl
    if (sec, usec) < cut:
        kept.append(rec)
        n += 1
with open(out, "wb") as f:
    f.write(b"".join(kept))
print(f"{out}: {n} frames before the teardown")

#!/usr/bin/env python3
"""Milter packets in a tcpdump trace of a milter's TCP port, with timing.

    tcpdump -i lo -n -tt -l -X 'tcp port PORT and tcp[tcpflags] & tcp-push != 0' > trace.txt
    bench/postfix/milter_trace.py PORT < trace.txt

Prints one line per TCP segment with data: time since the first, time since
the previous segment, direction, size and the milter packets in it (macro
packets with their macro names). Used for the TCP finding in README.md: a
segment from the MTA that gets no answer, followed by a gap of about 40 ms,
is the Nagle/delayed-ACK stall. Assumes IPv4 and whole milter packets in
each segment (true for the small packets of one message on loopback).
"""

import sys

COMMANDS = {
    "A": "ABORT", "B": "BODY", "C": "CONNECT", "D": "MACRO", "E": "EOM", "H": "HELO", "K": "QUIT_NC",
    "L": "HEADER", "M": "MAIL", "N": "EOH", "O": "OPTNEG", "Q": "QUIT", "R": "RCPT", "T": "DATA",
    "U": "UNKNOWN",
}
REPLIES = {
    "O": "OPTNEG", "+": "ADDRCPT", "-": "DELRCPT", "a": "accept", "b": "REPLBODY", "c": "continue", "d": "discard",
    "e": "CHGFROM", "h": "ADDHEADER", "i": "INSHEADER", "m": "CHGHEADER", "p": "progress", "q": "QUARANTINE",
    "r": "reject", "s": "skip", "t": "tempfail", "y": "replycode",
}


def segments(lines):
    current = None
    for line in lines:
        if line[:1].isdigit() and " IP " in line:
            if current:
                yield current
            current = {"header": line.strip(), "hex": ""}
        elif current is not None and line.strip().startswith("0x"):
            current["hex"] += line.split(":", 1)[1].strip().split("  ")[0].replace(" ", "")
    if current:
        yield current


def describe(data, to_milter):
    out = []
    i = 0
    while i + 5 <= len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        code = chr(data[i + 4])
        body = data[i + 5:i + 4 + length]
        name = (COMMANDS if to_milter else REPLIES).get(code, code)
        if to_milter and code == "D" and body:
            names = [x.decode(errors="replace") for x in body[1:].split(b"\0")[:-1]][0::2]
            name = f"MACRO({chr(body[0])}: {','.join(names)})"
        elif to_milter and code == "L":
            header_name = body.split(b"\0")[0].decode(errors="replace")
            name = f"HEADER({header_name})"
        out.append(f"{name}[{length}]")
        i += 4 + length
    return " ".join(out)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    port = sys.argv[1]
    first = previous = None
    for segment in segments(sys.stdin):
        raw = bytes.fromhex(segment["hex"])
        ip_length = (raw[0] & 15) * 4
        tcp_length = (raw[ip_length + 12] >> 4) * 4
        data = raw[ip_length + tcp_length:]
        if not data:
            continue
        when = float(segment["header"].split()[0])
        first = first if first is not None else when
        previous = previous if previous is not None else when
        to_milter = f".{port}: " in segment["header"].split(" > ", 1)[1]
        direction = "MTA -> milter" if to_milter else "milter -> MTA"
        print(f"{(when - first) * 1000:9.3f} ms  +{(when - previous) * 1000:7.3f}  {direction}  {len(data):5d} B  "
              f"{describe(data, to_milter)}")
        previous = when
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Postfix end-to-end benchmark of clearbounce-milter (bench/postfix/README.md).

smtp-source -> private Postfix (smtpd_milters = the setup's milter) -> smtp-sink,
all on loopback. Per setup, a batch of ordinary messages and a batch of
delivery reports (null sender, multipart/report) are timed from the start of
smtp-source until smtp-sink has received the whole batch. The setups take
turns over several rounds in one run (the first setup rotates from round to
round), so that a slow drift of the machine hits them alike; the report gives
the median msg/s of each setup and the medians of the per-round ratios.

Setups (--setups, comma-separated):
  none               no milter
  noop-unix          bench/postfix/noop_milter over a unix socket
  noop-inet          the same over TCP on 127.0.0.1
  floor-unix         the floor milter (noop_milter -s -r BYTES): reads a
                     report like noop, takes the DATA step as clearbounce
                     does, then changes the Subject and replaces the body
                     with BYTES in one call (BYTES: --floor-bytes, by default
                     what makes the message as large as clearbounce's
                     rewrite of dsn.eml, headers included)
  floor-inet         the same over TCP on 127.0.0.1
  clearbounce-unix   clearbounce-milter over a unix socket
  clearbounce-inet   clearbounce-milter over TCP on 127.0.0.1
  baseline-unix      another clearbounce-milter binary (--baseline), such as
  baseline-inet      an earlier build, for before/after figures in one run
and, for the TCP investigation, noop-unix or noop-inet followed by
  -data              the do-nothing milter takes the DATA step (-s)
  -nodelay           TCP_NODELAY on the do-nothing milter's sockets (-d)
such as noop-inet-data or noop-inet-data-nodelay; and noop-* or floor-*
followed by
  -nrhdr             header fields go unanswered (-n, SMFIP_NR_HDR), as
                     clearbounce-milter negotiates them
such as floor-unix-nrhdr.

Run as root after the build:  bench/postfix/run.py --rounds 5 --messages 2000
Exit status: 0 done, 1 a batch failed, 77 skipped (not root, no Postfix tools,
no noop_milter build).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "e2e"))

from postfix_instance import PostfixInstance, free_port  # noqa: E402  (read-only reuse)

ALL_SETUPS = ["none", "noop-unix", "floor-unix", "clearbounce-unix"]
RECIPIENT = "alice@example.com"
ORDINARY_SENDER = "carol@example.net"
SKIP = 77


class BenchError(Exception):
    pass


# -- milters ------------------------------------------------------------------


class MilterProcess:
    """One milter daemon in the foreground, its output in a log file."""

    def __init__(self, name, argv, kind, directory, sock_name):
        self.name = name
        self.argv = argv
        self.kind = kind
        if kind == "unix":
            self.path = os.path.join(directory, sock_name)
            self.libmilter_spec = f"unix:{self.path}"
            self.postfix_spec = f"unix:{self.path}"
        else:
            self.port = free_port()
            self.libmilter_spec = f"inet:{self.port}@127.0.0.1"
            self.postfix_spec = f"inet:127.0.0.1:{self.port}"
        self.logfile = os.path.join(directory, f"{name}.log")
        self.process = None

    def command(self):
        return [part.replace("@SOCKET@", self.libmilter_spec) for part in self.argv]

    def start(self, timeout=15):
        with open(self.logfile, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.process.returncode}:\n{self.log_text()}")
            if self.accepting():
                return
            time.sleep(0.05)
        raise BenchError(f"{self.name} did not listen on {self.libmilter_spec}:\n{self.log_text()}")

    def accepting(self):
        family = socket.AF_UNIX if self.kind == "unix" else socket.AF_INET
        address = self.path if self.kind == "unix" else ("127.0.0.1", self.port)
        s = socket.socket(family)
        try:
            s.settimeout(1)
            s.connect(address)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def cpu_seconds(self):
        """User + system CPU time of the milter process so far."""
        if self.process is None:
            return 0.0
        try:
            with open(f"/proc/{self.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = os.sysconf("SC_CLK_TCK")
            return (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            return 0.0

    def signal(self, number):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def clearbounce_config(directory, name, socket_spec):
    path = os.path.join(directory, f"{name}.toml")
    with open(path, "w") as f:
        f.write("[milter]\n")
        f.write(f'socket = "{socket_spec}"\n')
        f.write('umask = "0000"\n')  # the benchmark's smtpd (user postfix) opens it
        f.write("stats_interval_seconds = 0\n")  # counters only on SIGUSR2 and at exit
    return path


def known_setup(setup):
    if setup in ("none", "clearbounce-unix", "clearbounce-inet", "baseline-unix", "baseline-inet"):
        return True
    parts = setup.split("-")
    variants = {"noop": {"data", "nodelay", "nrhdr"}, "floor": {"nrhdr"}}.get(parts[0], set())
    return (len(parts) >= 2 and parts[0] in ("noop", "floor") and parts[1] in ("unix", "inet")
            and len(set(parts[2:])) == len(parts[2:]) and set(parts[2:]) <= variants
            and not (parts[1] == "unix" and "nodelay" in parts[2:]))


def make_milters(setups, workdir, noop_binary, clearbounce_binary, floor_bytes, clearbounce_args=(),
                 baseline_binary=None):
    milters = {}
    for setup in setups:
        if setup == "none":
            continue
        kind = setup.split("-")[1]
        if setup.startswith("floor"):
            argv = [noop_binary, "-p", "@SOCKET@", "-q", "-s", "-r", str(floor_bytes)]
            if "nrhdr" in setup.split("-")[2:]:
                argv.append("-n")
            milters[setup] = MilterProcess(setup, argv, kind, workdir, f"{setup}.sock")
        elif setup.startswith("noop"):
            argv = [noop_binary, "-p", "@SOCKET@", "-q"]
            if "data" in setup.split("-")[2:]:
                argv.append("-s")
            if "nodelay" in setup.split("-")[2:]:
                argv.append("-d")
            if "nrhdr" in setup.split("-")[2:]:
                argv.append("-n")
            milters[setup] = MilterProcess(setup, argv, kind, workdir, f"{setup}.sock")
        else:
            m = MilterProcess(setup, [], kind, workdir, f"{setup}.sock")
            config = clearbounce_config(workdir, setup, m.libmilter_spec)
            if setup.startswith("baseline"):
                m.argv = [baseline_binary, "-c", config, "-f"]
            else:
                m.argv = [clearbounce_binary, "-c", config, "-f", *clearbounce_args]
            milters[setup] = m
    return milters


FLOOR_SUBJECT = b"Subject: Not delivered: Minutes of Friday's meeting"  # noop_milter.cpp's
# What Postfix's smtpd puts on top before the milter sees the message (the
# rewrite quotes it), of the length the benchmark's instance writes.
POSTFIX_RECEIVED = (b"Received: from client.example.org (localhost [127.0.0.1])\n"
                    b"\tby bench.example.org (Postfix) with ESMTP id 4XyZ1b2C3dzAB\n"
                    b"\tfor <alice@example.com>; Fri,  4 Dec 2026 08:30:00 +0000 (UTC)\n")


def crlf_size(text):
    return len(text) + text.count(b"\n")


def floor_body_bytes(cli_binary, message_file):
    """The body size that makes the floor milter's message as large as the
    one clearbounce-milter passes on for message_file (received over SMTP:
    `rewrite --remote`), headers included, with CRLF line ends as over the
    milter protocol; or None. The floor keeps the header section but for
    its Subject and adds no field, so its body makes up the difference.
    The "DSN bytes queued" column of the report shows how well they match."""
    try:
        with open(message_file, "rb") as f:
            original = POSTFIX_RECEIVED + f.read().replace(b"\r\n", b"\n")
        out = subprocess.run([cli_binary, "rewrite", "--remote", "-"], input=original, capture_output=True,
                             check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    rewritten = out.replace(b"\r\n", b"\n")
    head_end = original.find(b"\n\n")
    if head_end < 0 or b"\n\n" not in rewritten:
        return None
    lines = original[:head_end + 1].split(b"\n")
    floor_head = b"\n".join(FLOOR_SUBJECT if line.lower().startswith(b"subject:") else line for line in lines)
    return crlf_size(rewritten) - crlf_size(floor_head) - 2  # less the blank line


def parse_clearbounce_stats(text):
    """The last 'stats: key=value ...' line of clearbounce-milter's log."""
    found = None
    for line in text.splitlines():
        at = line.find("stats: ")
        if at >= 0:
            found = line[at + len("stats: "):]
    if found is None:
        return None
    out = {}
    for item in found.split():
        key, _, value = item.partition("=")
        try:
            out[key] = float(value) if "." in value else int(value)
        except ValueError:
            out[key] = value
    return out


# -- Postfix and the traffic ----------------------------------------------------


def set_milter(instance, milter):
    spec = "" if milter is None else f"{{ {milter.postfix_spec}, default_action=accept }}"
    instance.run("postconf", "-e", f"smtpd_milters = {spec}")
    instance.run("postfix", "reload")
    # smtpd and cleanup processes of the old configuration finish their
    # sessions and exit; give the master a moment to replace them.
    time.sleep(1.0)


def wait_port(port, process, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"smtp-sink exited early ({process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise BenchError(f"smtp-sink did not listen on 127.0.0.1:{port}")


class SentCounter:
    """Counts "status=sent" lines that Postfix appends to its maillog."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.sizes = []  # size= of every message qmgr took, since skip_to_end

    def skip_to_end(self):
        self.partial = b""
        self.sizes = []
        try:
            self.offset = os.path.getsize(self.path)
        except OSError:
            self.offset = 0

    def new_sent(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return 0
        self.offset += len(data)
        data = self.partial + data
        complete, _, self.partial = data.rpartition(b"\n")
        for line in complete.split(b"\n"):
            at = line.find(b", size=")
            if at >= 0 and b"/qmgr[" in line:
                digits = line[at + 7:].split(b",", 1)[0]
                if digits.isdigit():
                    self.sizes.append(int(digits))
        return complete.count(b" status=sent ")


def run_batch(instance, counter, message_file, sender, count, sessions, timeout):
    """Sends count messages, returns (seconds until Postfix had delivered all
    of them to smtp-sink, seconds smtp-source took to hand them to Postfix,
    median size of the messages as Postfix queued them)."""
    counter.skip_to_end()
    started = time.monotonic()
    source = subprocess.Popen(["smtp-source", "-s", str(sessions), "-m", str(count), "-f", sender,
                               "-t", RECIPIENT, "-F", message_file, "-M", "client.example.org",
                               f"127.0.0.1:{instance.smtpd_port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    sent = 0
    injected = None
    deadline = started + timeout
    try:
        while True:
            if injected is None and source.poll() is not None:
                injected = time.monotonic() - started
                if source.returncode != 0:
                    output = source.stdout.read().decode(errors="replace")
                    raise BenchError(f"smtp-source failed ({source.returncode}): {output[-2000:]}\n"
                                     f"{instance.log_tail()}")
            sent += counter.new_sent()
            if sent >= count and injected is not None:
                return time.monotonic() - started, injected, median(counter.sizes)
            if time.monotonic() > deadline:
                raise BenchError(f"{sent} of {count} messages delivered after {timeout:.0f} s "
                                 f"({len(instance.queue_listing())} queued)\n{instance.log_tail()}")
            time.sleep(0.01)
    finally:
        if source.poll() is None:
            source.kill()
            source.wait()
        source.stdout.close()


def machine_cpu_seconds():
    """CPU time spent by the whole machine so far (user, nice, system, irq,
    softirq), from /proc/stat: every process of the pipeline counts."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
        busy = sum(int(fields[i]) for i in (0, 1, 2, 5, 6))
        return busy / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def wait_queue_empty(instance, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not instance.queue_listing():
            return
        instance.flush()
        time.sleep(0.2)
    raise BenchError(f"the queue did not drain:\n{instance.log_tail()}")


# -- the run --------------------------------------------------------------------


def median(values):
    return statistics.median(values) if values else float("nan")


def report(results, setups, kinds, rounds, messages, sessions, latency, cpu, out, floor_bytes):
    all_kinds = ["ordinary", "dsn"]
    rates = {s: {k: [r[s][k]["rate"] for r in results if s in r and k in r[s]] for k in all_kinds}
             for s in setups}

    def ratios(setup, reference, kind):
        return [r[setup][kind]["rate"] / r[reference][kind]["rate"]
                for r in results if setup in r and reference in r and kind in r[setup]
                and kind in r[reference] and r[reference][kind]["rate"] > 0]

    def floor_of(setup):
        parts = setup.split("-")
        if parts[0] not in ("clearbounce", "baseline"):
            return None
        ref = f"floor-{parts[1]}"
        return ref if ref in setups else None

    def reference_of(setup):
        # clearbounce against the do-nothing milter over the same socket;
        # a noop variant (-data, -nodelay) against the plain one.
        parts = setup.split("-")
        if parts[0] in ("clearbounce", "baseline", "floor") or (parts[0] == "noop" and len(parts) > 2):
            ref = f"noop-{parts[1]}"
            return ref if ref in setups and ref != setup else None
        return None

    lines = [f"Postfix benchmark: {rounds} rounds, {messages} messages per batch, "
             f"{sessions} smtp-source sessions, {os.cpu_count()} CPUs"
             + (f", floor body {floor_bytes} bytes" if floor_bytes else ""), ""]
    lines.append("| setup | ordinary msg/s | DSN msg/s | ordinary / none | DSN / none "
                 "| ordinary / noop | DSN / noop | DSN / floor | DSN bytes queued "
                 "| CPU ms per ordinary | CPU ms per DSN | milter CPU ms per DSN |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = {}
    for setup in setups:
        row = {"ordinary_rate": median(rates[setup]["ordinary"]), "dsn_rate": median(rates[setup]["dsn"])}
        cells = [setup] + [f"{row[f'{kind}_rate']:.0f}" if kind in kinds else "" for kind in all_kinds]
        for kind in all_kinds:
            if "none" in setups and setup != "none" and kind in kinds:
                value = median(ratios(setup, "none", kind))
                row[f"{kind}_vs_none"] = value
                cells.append(f"{value:.2f}")
            else:
                cells.append("")
        ref = reference_of(setup)
        for kind in all_kinds:
            if ref and kind in kinds:
                value = median(ratios(setup, ref, kind))
                row[f"{kind}_vs_{ref}"] = value
                cells.append(f"{value:.2f}")
            else:
                cells.append("")
        floor = floor_of(setup)
        if floor and "dsn" in kinds:
            value = median(ratios(setup, floor, "dsn"))
            row[f"dsn_vs_{floor}"] = value
            cells.append(f"**{value:.2f}**")
        else:
            cells.append("")
        sizes = [r[setup]["dsn"]["queued_bytes"] for r in results if setup in r and "dsn" in r[setup]]
        row["dsn_queued_bytes"] = median(sizes)
        cells.append(f"{median(sizes):.0f}" if sizes else "")
        for kind in all_kinds:
            values = [r[setup][kind]["machine_cpu_ms_per_message"] for r in results if setup in r and kind in r[setup]]
            row[f"{kind}_machine_cpu_ms"] = median(values)
            cells.append(f"{median(values):.2f}" if values else "")
        cpu_values = [c for c in cpu.get(setup, [])]
        cells.append(f"{median(cpu_values):.2f}" if cpu_values else "")
        row["milter_cpu_ms_per_dsn"] = median(cpu_values) if cpu_values else None
        summary[setup] = row
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Ratios are medians of the per-round ratios (same round, same kind of message). CPU ms: "
                 "the whole machine's busy CPU time during a batch per message (every process of the "
                 "pipeline: smtp-source, Postfix, the milter, smtp-sink); milter CPU: the milter process alone. "
                 "DSN bytes queued: the median size= that Postfix's qmgr logged for the reports, after the "
                 "milter's changes.")
    for setup in setups:
        parts = setup.split("-")
        if parts[0] not in ("clearbounce", "baseline") or "dsn" not in kinds:
            continue
        for floor in setups:
            if floor.startswith(f"floor-{parts[1]}"):
                values = ratios(setup, floor, "dsn")
                summary[setup][f"dsn_vs_{floor}"] = median(values)
                lines.append(f"{setup} / {floor}, DSNs: median {median(values):.3f} of the per-round ratios "
                             f"({', '.join(f'{v:.2f}' for v in values)})")
    for setup, stats in latency.items():
        if stats:
            lines.append(f"{setup}: DSN rewrite inside the milter over {stats.get('latency_samples')} reports: "
                         f"median {stats.get('latency_median_ms'):.3f} ms, p99 {stats.get('latency_p99_ms'):.3f} ms, "
                         f"max {stats.get('latency_max_ms'):.3f} ms (rewritten {stats.get('rewritten')}, "
                         f"passed {stats.get('passed')}, errors {stats.get('errors')})")
    text = "\n".join(lines)
    print(text)
    if out:
        with open(out, "w") as f:
            json.dump({"floor_bytes": floor_bytes, "rounds": rounds, "messages": messages, "sessions": sessions, "cpus": os.cpu_count(),
                       "summary": summary, "latency": latency, "per_round": results}, f, indent=2)
        print(f"\nraw results: {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=2000, help="messages per batch")
    parser.add_argument("--sessions", type=int, default=10, help="parallel smtp-source sessions")
    parser.add_argument("--setups", default=",".join(ALL_SETUPS))
    parser.add_argument("--build", default=os.path.join(SOURCE_ROOT, "build"), help="the CMake build directory")
    parser.add_argument("--clearbounce", help="the clearbounce-milter binary (default: BUILD/milter/clearbounce-milter)")
    parser.add_argument("--workdir", help="where the instance lives (default: a new directory in /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json", help="write the raw results to this file")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for one batch")
    parser.add_argument("--kinds", default="ordinary,dsn",
                        help="which batches to time: ordinary, dsn or both (default)")
    parser.add_argument("--floor-bytes", type=int,
                        help="the floor milter's body size (default: what makes its message as large as "
                             "the one BUILD/cli/clearbounce rewrite --remote writes for dsn.eml)")
    parser.add_argument("--baseline", help="the clearbounce-milter binary of the baseline-* setups")
    parser.add_argument("--clearbounce-arg", action="append", default=[], metavar="ARG",
                        help="a further argument for clearbounce-milter (repeatable), such as -b")
    parser.add_argument("--warmup", type=int, default=100, help="untimed messages of each kind per setup and round")
    parser.add_argument("--postfix-extra", action="append", default=[], metavar="NAME=VALUE",
                        help="further main.cf settings (repeatable)")
    args = parser.parse_args()

    def interrupted(number, frame):
        raise BenchError(f"stopped by signal {number}")

    # Also when started in the background, where SIGINT may be ignored:
    # the instance, the sink and the milters are stopped on the way out.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)

    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    unknown = [s for s in setups if not known_setup(s)]
    if unknown:
        parser.error(f"unknown setups: {', '.join(unknown)} (see --help)")
    if os.geteuid() != 0:
        print("skipped: run as root (Postfix instance, smtp-sink -u)", file=sys.stderr)
        return SKIP
    for tool in ("postfix", "postconf", "smtp-source", "smtp-sink"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            print(f"skipped: {tool} not found (apt-get install postfix)", file=sys.stderr)
            return SKIP
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    noop_binary = os.path.join(args.build, "bench", "postfix", "noop_milter")
    clearbounce_binary = args.clearbounce or os.path.join(args.build, "milter", "clearbounce-milter")
    if any(s.startswith(("noop", "floor")) for s in setups) and not os.access(noop_binary, os.X_OK):
        print(f"skipped: {noop_binary} not built (cmake --build {args.build} --target noop_milter)", file=sys.stderr)
        return SKIP
    if any(s.startswith("clearbounce") for s in setups) and not os.access(clearbounce_binary, os.X_OK):
        print(f"note: {clearbounce_binary} not built; its setups are left out", file=sys.stderr)
        setups = [s for s in setups if not s.startswith("clearbounce")]

    workdir = args.workdir or tempfile.mkdtemp(prefix="clearbounce-bench-")
    os.makedirs(workdir, exist_ok=True)
    os.chmod(workdir, 0o755)
    milter_dir = os.path.join(workdir, "milters")
    os.makedirs(milter_dir, exist_ok=True)
    os.chmod(milter_dir, 0o755)
    sink_port = free_port()
    extra = {
        # Relay everything to the sink; nothing else is looked up.
        "smtpd_milters": "",
        "milter_default_action": "accept",
        "milter_connect_timeout": "10s",
        "milter_command_timeout": "30s",
        "milter_content_timeout": "60s",
        "smtpd_client_connection_count_limit": "0",
        "smtpd_client_connection_rate_limit": "0",
        "smtpd_peername_lookup": "no",
        "default_destination_concurrency_limit": "20",
        "queue_run_delay": "1s",
    }
    for item in args.postfix_extra:
        name, _, value = item.partition("=")
        extra[name.strip()] = value.strip()
    instance = PostfixInstance(os.path.join(workdir, "postfix"),
                               transports={"example.com": f"smtp:[127.0.0.1]:{sink_port}"},
                               main_extra=extra, mailboxes=("postmaster",))
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not kinds or set(kinds) - {"ordinary", "dsn"}:
        parser.error("--kinds: ordinary, dsn or both")
    floor_bytes = args.floor_bytes
    if floor_bytes is None and any(s.startswith("floor") for s in setups):
        floor_bytes = floor_body_bytes(os.path.join(args.build, "cli", "clearbounce"),
                                       os.path.join(HERE, "dsn.eml"))
        if floor_bytes is None:
            parser.error("--floor-bytes is needed: no BUILD/cli/clearbounce to measure the rewritten body")
    if any(s.startswith("baseline") for s in setups) and not (args.baseline and os.access(args.baseline, os.X_OK)):
        parser.error("the baseline-* setups need --baseline BINARY")
    milters = make_milters(setups, milter_dir, noop_binary, clearbounce_binary, floor_bytes,
                           args.clearbounce_arg, args.baseline)
    ordinary_file = os.path.join(HERE, "ordinary.eml")
    dsn_file = os.path.join(HERE, "dsn.eml")
    results = []
    cpu = {}
    status = 0
    sink = None
    try:
        for m in milters.values():
            m.start()
        sink = subprocess.Popen(["smtp-sink", "-u", "nobody", f"127.0.0.1:{sink_port}", "256"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        wait_port(sink_port, sink)
        instance.start()
        counter = SentCounter(instance.maillog)
        print(f"work directory {workdir}; Postfix smtpd on 127.0.0.1:{instance.smtpd_port}, "
              f"smtp-sink on 127.0.0.1:{sink_port}", file=sys.stderr)
        for number in range(args.rounds):
            order = setups[number % len(setups):] + setups[:number % len(setups)]
            round_result = {}
            for setup in order:
                milter = milters.get(setup)
                set_milter(instance, milter)
                if args.warmup > 0:
                    if "ordinary" in kinds:
                        run_batch(instance, counter, ordinary_file, ORDINARY_SENDER, args.warmup, args.sessions,
                                  args.timeout)
                    if "dsn" in kinds:
                        run_batch(instance, counter, dsn_file, "", args.warmup, args.sessions, args.timeout)
                wait_queue_empty(instance)
                result = {}
                for kind, message_file, sender in (("ordinary", ordinary_file, ORDINARY_SENDER),
                                                   ("dsn", dsn_file, "")):
                    if kind not in kinds:
                        continue
                    cpu_before = milter.cpu_seconds() if milter else 0.0
                    machine_before = machine_cpu_seconds()
                    delivered, injected, queued_bytes = run_batch(instance, counter, message_file, sender, args.messages,
                                                    args.sessions, args.timeout)
                    cpu_used = (milter.cpu_seconds() - cpu_before) if milter else 0.0
                    machine_used = machine_cpu_seconds() - machine_before
                    result[kind] = {"seconds": delivered, "rate": args.messages / delivered,
                                    "injected_seconds": injected, "injected_rate": args.messages / injected,
                                    "queued_bytes": queued_bytes, "milter_cpu_seconds": cpu_used, "machine_cpu_seconds": machine_used,
                                    "machine_cpu_ms_per_message": 1000.0 * machine_used / args.messages}
                    if milter and kind == "dsn":
                        cpu.setdefault(setup, []).append(1000.0 * cpu_used / args.messages)
                    wait_queue_empty(instance)
                round_result[setup] = result
                figures = "   ".join(f"{kind} {result[kind]['rate']:7.1f} msg/s" for kind in kinds)
                print(f"round {number + 1}/{args.rounds} {setup:18} {figures}", file=sys.stderr)
            results.append(round_result)
        set_milter(instance, None)
        latency = {}
        for setup, m in milters.items():
            if setup.startswith(("clearbounce", "baseline")):
                m.signal(signal.SIGUSR2)
        time.sleep(1.0)
        for setup, m in milters.items():
            if setup.startswith(("clearbounce", "baseline")):
                latency[setup] = parse_clearbounce_stats(m.log_text())
        print("", file=sys.stderr)
        report(results, setups, kinds, args.rounds, args.messages, args.sessions, latency, cpu, args.json,
               floor_bytes)
    except (BenchError, subprocess.TimeoutExpired) as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        status = 1
    finally:
        instance.stop()
        if sink is not None and sink.poll() is None:
            sink.terminate()
            sink.wait()
        for m in milters.values():
            m.stop()
        if not args.keep and not args.workdir and status == 0:
            shutil.rmtree(workdir, ignore_errors=True)
        elif status != 0 or args.keep:
            print(f"kept {workdir}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end tests of clearbounce with real mail servers (Python standard library only).

Scenarios (one ctest test each):

  postfix-baseline   a private Postfix instance bounces mail to scripted failing
                     SMTP peers; no milter. Every DSN it writes is checked with
                     `clearbounce classify` and `clearbounce rewrite`.
  postfix-bounce     the same with clearbounce-milter in non_smtpd_milters
                     (internal_mail_filter_classes = bounce): once in dry_run,
                     once for real; the delivered DSNs carry the right
                     X-Clearbounce and machine-readable parts identical to the
                     dry run's.
  postfix-smtpd      the milter in smtpd_milters; a real Postfix DSN is sent in
                     over SMTP with swaks (its message passed through this
                     Postfix: no backscatter notice), and a report about a
                     message that never did (backscatter: notice, forged=yes).
  postfix-diagnose   the milter in non_smtpd_milters with [diagnose] on: it
                     probes the peer Postfix used (the instance's own
                     transport_maps) and the DSN names the exact cause
                     (expired on <date>, ...); the same milter in
                     smtpd_milters gets forged reports over SMTP and probes
                     nothing (the peers' connection logs).
  postfix-faults     milter not running, stopped (too slow) and killed in the
                     middle of a transaction: Postfix delivers the original DSN
                     (default_action = accept); nothing lost or duplicated.
  sendmail           an unpacked Sendmail with INPUT_MAIL_FILTER receives a DSN
                     over SMTP (see sendmail_instance.py).

Exit status: 0 passed, 1 failed, 77 skipped (not root, no postfix, no milter).
Nothing is installed; everything runs under --workdir, which is kept for a look
after a failure (maillog, maildirs, milter logs).
"""

import argparse
import concurrent.futures
import functools
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import dsn_parts  # noqa: E402
from postfix_instance import PostfixInstance, PostfixError, free_port  # noqa: E402
from smtp_peer import Peer  # noqa: E402

SKIP = 77
ORIGINAL_DATE = "Sun, 01 Nov 2026 12:00:00 +0000"
ROUND_TIMEOUT = 150  # seconds to wait for every DSN of a round


class Skip(Exception):
    pass


class Failure(Exception):
    pass


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------------------
# The scripted cases


class Case:
    """One recipient domain, the peer behind it, and the DSNs Postfix must send
    for it: {action: expected category}."""

    def __init__(self, name, behaviour, args=(), expect=None, language=None, tls=None, logged=None):
        self.name = name
        self.logged = logged  # what Postfix's log must say about this peer (the case's real cause)
        self.behaviour = behaviour  # None: nothing listens (connection refused)
        self.args = list(args)
        self.expect = expect
        self.language = language
        self.tls = tls  # TLS policy for this nexthop, or None
        self.domain = f"{name}.test"
        self.recipient = f"bob@{self.domain}"
        self.nexthop = None
        self.peer = None

    @property
    def locale(self):
        return self.language or "en"


def make_cases(certs):
    temporary = {"delayed", "failed"}
    cases = [
        Case("unknown", "reject-rcpt",
             ["550 5.1.1 <bob@unknown.test>: Recipient address rejected: User unknown in local recipient table"],
             {"failed": "recipient.unknown"}, language="de"),
        Case("mailbox-full", "reject-rcpt",
             ["552 5.2.2 <bob@mailbox-full.test>: Recipient address rejected: Mailbox full"],
             {"failed": "recipient.mailbox_full"}),
        Case("refused", None, [],
             {"delayed": "network.connection_refused", "failed": "network.connection_refused"}),
        Case("greeting-timeout", "silent", [],
             {"delayed": "network.greeting_timeout", "failed": "network.greeting_timeout"}),
        Case("lost-connection", "drop-after-rcpt", [],
             {"delayed": "network.connection_lost", "failed": "network.connection_lost"}),
        Case("tls-expired", "starttls", certs["expired"],
             {a: "tls.certificate_not_verified" for a in temporary}, tls="secure match=mx.tls.test",
             logged="certificate has expired"),
        Case("tls-self-signed", "starttls", certs["self-signed"],
             {a: "tls.certificate_not_verified" for a in temporary}, tls="secure match=mx.tls.test",
             logged="self-signed certificate"),
        Case("tls-wrong-name", "starttls", certs["wrong-name"],
             {a: "tls.certificate_not_verified" for a in temporary}, tls="secure match=mx.tls.test",
             logged="hostname mismatch"),
        Case("tls-not-yet-valid", "starttls", certs["not-yet-valid"],
             {a: "tls.certificate_not_verified" for a in temporary}, tls="secure match=mx.tls.test",
             logged="certificate not yet valid"),
        Case("tls-unknown-ca", "starttls", certs["unknown-ca"],
             {a: "tls.certificate_not_verified" for a in temporary}, tls="secure match=mx.tls.test",
             logged="untrusted issuer /CN=clearbounce e2e CA nobody trusts"),
        Case("tls-missing-intermediate", "starttls", certs["missing-intermediate"],
             {a: "tls.certificate_not_verified" for a in temporary}, tls="secure match=mx.tls.test",
             logged="untrusted issuer /CN=clearbounce e2e intermediate CA"),
        # Handshakes that fail with a certificate that verifies. TLS 1.0 only
        # (OpenSSL 3 serves it only at security level 0): Postfix's client
        # offers TLS 1.0, then refuses the server's SHA-1 signature. TLS 1.2
        # with one cipher without encryption, which Postfix's "medium" grade
        # leaves out: the server alerts. Postfix's DSN says only "Cannot
        # start TLS: handshake failure"; its log gives OpenSSL's reason on
        # the line after the address.
        Case("tls-1.0-only", "starttls", certs["valid"] + ["version=TLSv1", "ciphers=DEFAULT:@SECLEVEL=0"],
             {a: "tls.handshake_failed" for a in temporary}, tls="secure match=mx.tls.test",
             logged="legacy sigalg disallowed or unsupported"),
        Case("tls-no-shared-cipher", "starttls",
             certs["valid"] + ["version=TLSv1_2", "ciphers=ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0"],
             {a: "tls.handshake_failed" for a in temporary}, tls="secure match=mx.tls.test",
             logged="sslv3 alert handshake failure"),
        Case("tls-not-offered", "no-starttls", [],
             {a: "tls.not_offered" for a in temporary}, tls="encrypt"),
        Case("rate-limited", "rate-limit",
             ["421 4.7.0 mx.rate-limited.test Too many messages from your IP, rate limit exceeded, try again later"],
             {a: "throttle.rate_limited" for a in temporary}, language="fr"),
    ]
    return cases


def make_certificates(directory):
    """A test CA and four server certificates that fail verification: expired
    (a month ago), not yet valid (from a month ahead), self-signed and issued
    for another name. Returns {kind: [cert, key]} and {"ca": path}."""
    os.makedirs(directory, exist_ok=True)

    def openssl(*args):
        result = subprocess.run(["openssl", *args], cwd=directory, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            raise Failure(f"openssl {' '.join(args)} failed:\n{result.stdout}")
        return result.stdout

    key_args = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *key_args, "-keyout", "ca.key", "-out", "ca.crt",
            "-subj", "/CN=clearbounce e2e test CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    # `openssl x509 -days` counts from now; `openssl ca` takes any start and
    # end date (OpenSSL 3.0 has no -not_before), with a minimal CA setup.
    with open(os.path.join(directory, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = test_ca\n[test_ca]\ndatabase = index.txt\nnew_certs_dir = .\n"
                "certificate = ca.crt\nprivate_key = ca.key\nserial = ca.srl\ndefault_md = sha256\n"
                "policy = any_name\nunique_subject = no\n[any_name]\ncommonName = supplied\n")
    open(os.path.join(directory, "index.txt"), "w").close()
    with open(os.path.join(directory, "ca.srl"), "w") as f:
        f.write("1000\n")

    def asn1_time(days_from_now):
        moment = time.gmtime(time.time() + days_from_now * 86400)
        return time.strftime("%Y%m%d%H%M%SZ", moment)

    def signed(name, cn, start_days, end_days):
        with open(os.path.join(directory, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName=DNS:{cn}\nbasicConstraints=CA:FALSE\n")
        openssl("req", *key_args, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        openssl("ca", "-batch", "-config", "ca.cnf", "-notext", "-in", f"{name}.csr", "-out", f"{name}.crt",
                "-startdate", asn1_time(start_days), "-enddate", asn1_time(end_days), "-extfile", f"{name}.ext")

    signed("expired", "mx.tls.test", -90, -30)
    signed("not-yet-valid", "mx.tls.test", 30, 120)
    signed("wrong-name", "mx.elsewhere.test", -1, 2)
    signed("valid", "mx.tls.test", -1, 2)  # for the handshake cases: nothing wrong with it
    openssl("req", "-x509", *key_args, "-keyout", "self-signed.key", "-out", "self-signed.crt",
            "-subj", "/CN=mx.tls.test", "-days", "2", "-addext", "subjectAltName=DNS:mx.tls.test")
    make_untrusted_chains(openssl, key_args, directory)

    # Each must fail for its own reason; otherwise the case tests nothing.
    # (What the server sends: the unknown CA's peer its whole chain, the
    # other one its leaf without the intermediate.)
    for name, reason, extra in (
            ("expired", "certificate has expired", []), ("not-yet-valid", "certificate is not yet valid", []),
            ("self-signed", "self-signed certificate", []),
            ("wrong-name", "hostname mismatch", ["-verify_hostname", "mx.tls.test"]),
            ("unknown-ca", "self-signed certificate in certificate chain", ["-untrusted", "other-ca.crt"]),
            ("missing-intermediate", "unable to get local issuer certificate", [])):
        result = subprocess.run(["openssl", "verify", "-CAfile", "ca.crt", *extra, f"{name}.crt"], cwd=directory,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode == 0 or reason not in result.stdout:
            raise Failure(f"test certificate {name} does not fail with '{reason}':\n{result.stdout}")
    # ... and these verify: with the intermediate it is sent without, and the
    # one the handshake cases present.
    for extra, name in ((["-untrusted", "intermediate.crt"], "missing-intermediate"),
                        (["-verify_hostname", "mx.tls.test"], "valid")):
        openssl("verify", "-CAfile", "ca.crt", *extra, f"{name}.crt")
    kinds = ("expired", "not-yet-valid", "self-signed", "wrong-name", "missing-intermediate", "valid")
    paths = {name: [os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")] for name in kinds}
    paths["unknown-ca"] = [os.path.join(directory, "unknown-ca-chain.crt"), os.path.join(directory, "unknown-ca.key")]
    return paths | {"ca": os.path.join(directory, "ca.crt")}


def make_untrusted_chains(openssl, key_args, directory):
    """A leaf for mx.tls.test from a CA nobody trusts (unknown-ca-chain.crt:
    the leaf and that CA, as a server sends them), and one from an
    intermediate of the test CA that is not sent (missing-intermediate.crt:
    the leaf alone)."""
    ca_ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
    leaf_ext = "subjectAltName=DNS:mx.tls.test\nbasicConstraints=CA:FALSE\n"
    for name, text in (("ca-ext.cnf", ca_ext), ("leaf-ext.cnf", leaf_ext)):
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)
    openssl("req", "-x509", *key_args, "-keyout", "other-ca.key", "-out", "other-ca.crt",
            "-subj", "/CN=clearbounce e2e CA nobody trusts", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *key_args, "-keyout", "intermediate.key", "-out", "intermediate.csr",
            "-subj", "/CN=clearbounce e2e intermediate CA")
    openssl("x509", "-req", "-in", "intermediate.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "2001",
            "-days", "2", "-extfile", "ca-ext.cnf", "-out", "intermediate.crt")
    for name, issuer, serial in (("unknown-ca", "other-ca", "2002"), ("missing-intermediate", "intermediate", "2003")):
        openssl("req", *key_args, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", "/CN=mx.tls.test")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.crt", "-CAkey", f"{issuer}.key",
                "-set_serial", serial, "-days", "2", "-extfile", "leaf-ext.cnf", "-out", f"{name}.crt")
    with open(os.path.join(directory, "unknown-ca-chain.crt"), "w") as chain:
        for part in ("unknown-ca.crt", "other-ca.crt"):
            with open(os.path.join(directory, part)) as f:
                chain.write(f.read())


def certificate_dates(path):
    """(notBefore, notAfter) of a PEM certificate, as UTC struct_time."""
    out = subprocess.run(["openssl", "x509", "-noout", "-startdate", "-enddate", "-in", path],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return tuple(time.strptime(fields[k].strip(), "%b %d %H:%M:%S %Y GMT") for k in ("notBefore", "notAfter"))


def start_peers(cases, net):
    """Starts a peer per case on 127.0.<net>.<10+i> (a free port each)."""
    peers = []
    for i, case in enumerate(cases):
        address = f"127.0.{net}.{10 + i}"
        if case.behaviour is None:
            port = free_port(address)  # nothing listens there: connection refused
        else:
            case.peer = Peer(address, 0, case.behaviour, case.args, name=f"mx.{case.domain}")
            peers.append(case.peer)
            port = case.peer.port
        case.nexthop = f"[{address}]:{port}"
    return peers


def transports_for(cases):
    return {case.domain: f"smtp:{case.nexthop}" for case in cases}


def tls_policy_for(cases):
    return {case.nexthop: case.tls for case in cases if case.tls}


# ---------------------------------------------------------------------------
# Sending and collecting


def original_message(case, sender="alice@origin.test", tag="e2e"):
    lines = [
        f"From: Alice <{sender}>",
        f"To: Bob <{case.recipient}>",
        f"Subject: {tag} test message for the {case.name} case",
        f"Date: {ORIGINAL_DATE}",
        f"Message-ID: <{case.name}.{tag}@origin.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if case.language:
        lines.append(f"Content-Language: {case.language}")
    lines += ["", f"Hello Bob, this message goes to {case.recipient} and should bounce.", ""]
    return ("\r\n".join(lines)).encode()


def submit(instance, sender, recipient, data):
    with smtplib.SMTP("127.0.0.1", instance.smtpd_port, local_hostname="client.origin.test", timeout=30) as smtp:
        smtp.sendmail(sender, [recipient], data)


def dsn_key(raw):
    """(recipient domain, action) of a DSN with one recipient, or None."""
    fields = dsn_parts.report_fields(raw)
    if len(fields) != 1:
        return None
    recipient = fields[0].get("final-recipient", "").split(";")[-1].strip().lower()
    return recipient.rpartition("@")[2], fields[0].get("action", "").lower()


def wait_for_dsns(instance, cases, timeout=ROUND_TIMEOUT, box="alice"):
    """Polls the sender's maildir until every expected DSN arrived (or timeout).
    Returns ({(case name, action): [raw, ...]}, [unexpected raw messages])."""
    by_domain = {case.domain: case for case in cases}
    wanted = {(case.name, action) for case in cases for action in case.expect}
    deadline = time.monotonic() + timeout
    got, unexpected = {}, []
    while True:
        got, unexpected = {}, []
        for _, raw in instance.messages(box):
            key = dsn_key(raw)
            case = by_domain.get(key[0]) if key else None
            if case is None:
                unexpected.append(raw)
            else:
                got.setdefault((case.name, key[1]), []).append(raw)
        if wanted <= set(got) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    return got, unexpected


def wait_queue_empty(instance, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not instance.queue_listing():
            return True
        time.sleep(0.25)
    return False


class Checks:
    """Collects failed assertions so that one run reports all of them. A
    buffered one (for a thread) keeps its lines until merge()."""

    def __init__(self, scenario, buffered=False):
        self.scenario = scenario
        self.failures = []
        self.passed = 0
        self.buffered = buffered
        self.lines = []

    def say(self, line):
        if self.buffered:
            self.lines.append(line)
        else:
            log(line)

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            self.say(f"  ok    {what}")
        else:
            self.failures.append(what)
            self.say(f"  FAIL  {what}" + (f"\n        {detail}" if detail else ""))
        return ok

    def merge(self, other):
        for line in other.lines:
            self.say(line)
        self.failures += other.failures
        self.passed += other.passed


def run_cases_round(instance, cases, checks, label):
    """Submits one message per case and waits for the DSNs. Returns the
    collected {(case, action): raw}."""
    for case in cases:
        submit(instance, "alice@origin.test", case.recipient, original_message(case))
    got, unexpected = wait_for_dsns(instance, cases)
    collected = {}
    for case in cases:
        for action in case.expect:
            raws = got.get((case.name, action), [])
            checks.check(len(raws) == 1, f"{label}: {case.name}: one '{action}' DSN reached the sender",
                         f"got {len(raws)}; maillog tail:\n{instance.log_tail(15)}")
            if raws:
                collected[(case.name, action)] = raws[0]
        for (name, action), raws in got.items():
            if name == case.name and action not in case.expect:
                checks.check(False, f"{label}: {case.name}: no '{action}' DSN expected", f"got {len(raws)}")
    maillog = instance.log().splitlines()
    for case in cases:
        if case.logged:
            address = case.nexthop[1:].split("]")[0]
            said = [line for line in about_peer(maillog, f"[{address}]") if case.logged in line]
            checks.check(bool(said), f"{label}: {case.name}: Postfix logged '{case.logged}' for {address}")
    checks.check(not unexpected, f"{label}: no other message reached the sender",
                 f"{len(unexpected)} unexpected: " + "; ".join(str(dsn_parts.parse(r).get('Subject')) for r in unexpected))
    postmaster = instance.messages("postmaster")
    checks.check(not postmaster, f"{label}: nothing reached the postmaster",
                 "; ".join(str(dsn_parts.parse(r).get('Subject')) for _, r in postmaster))
    checks.check(wait_queue_empty(instance), f"{label}: the queue is empty afterwards",
                 "\n".join(instance.queue_listing()))
    return collected


def about_peer(maillog, address):
    """The maillog lines that name the address, and the line after each from
    the same process (where its "TLS library problem" follows)."""
    process = lambda line: line.split(": ", 1)[0].rpartition(" ")[2]  # noqa: E731
    out = []
    for i, line in enumerate(maillog):
        if address in line:
            out.append(line)
            if i + 1 < len(maillog) and process(maillog[i + 1]) == process(line):
                out.append(maillog[i + 1])
    return out


def save(directory, collected):
    os.makedirs(directory, exist_ok=True)
    for (name, action), raw in collected.items():
        with open(os.path.join(directory, f"{name}.{action}.eml"), "wb") as f:
            f.write(raw)


# ---------------------------------------------------------------------------
# The milter


class Milter:
    """clearbounce-milter run in the foreground with a config of our own."""

    def __init__(self, binary, directory, dry_run, kind="unix", extra_config=""):
        self.binary = binary
        self.directory = directory
        self.dry_run = dry_run
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        if kind == "unix":
            self.path = os.path.join(directory, "milter.sock")
            self.socket = f"unix:{self.path}"
            self.postfix_spec = f"unix:{self.path}"
        else:
            self.port = free_port()
            self.socket = f"inet:{self.port}@127.0.0.1"
            self.postfix_spec = f"inet:127.0.0.1:{self.port}"
        self.kind = kind
        self.config = os.path.join(directory, "clearbounce.toml")
        self.logfile = os.path.join(directory, "milter.log")
        with open(self.config, "w") as f:
            f.write("[milter]\n")
            f.write(f'socket = "{self.socket}"\n')
            # Postfix's cleanup (user postfix) must be able to open the socket.
            f.write('group = "postfix"\n')
            f.write(f"dry_run = {'true' if dry_run else 'false'}\n")
            f.write('log_level = "debug"\n')
            f.write(extra_config)
        self.process = None

    @property
    def postfix_milters(self):
        return f"{{ {self.postfix_spec}, default_action=accept }}"

    def start(self, timeout=15):
        log_handle = open(self.logfile, "ab")
        self.process = subprocess.Popen([self.binary, "-c", self.config, "-f"], stdout=log_handle,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log_handle.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"clearbounce-milter exited with {self.process.returncode}:\n{self.log_text()}")
            if self.accepting():
                return
            time.sleep(0.1)
        raise Failure(f"clearbounce-milter did not open {self.socket}:\n{self.log_text()}")

    def accepting(self):
        s = socket.socket(socket.AF_UNIX if self.kind == "unix" else socket.AF_INET)
        s.settimeout(1)
        try:
            s.connect(self.path if self.kind == "unix" else ("127.0.0.1", self.port))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def signal(self, sig):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self):
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def state(self):
        """'running', or how the process ended (a SIGTERM from outside the
        test, e.g. a pkill, shows as 'killed by SIGTERM')."""
        if self.process is None:
            return "not started"
        code = self.process.poll()
        if code is None:
            return "running"
        return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"

    def log_text(self):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""


class DaemonProcess:
    """What Milter needs of a Popen (poll, send_signal, terminate, kill,
    wait) for a process that is not our child: the daemon that
    clearbounce-milter forks off when started without -f."""

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                alive = f.read().rpartition(")")[2].split()[0] != "Z"
        except OSError:
            alive = False
        if not alive and self.returncode is None:
            self.returncode = 0  # its status went to its new parent
        return None if alive else self.returncode

    def send_signal(self, sig):
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout=None):
        deadline = time.monotonic() + (timeout or 3600)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode


class DaemonizedMilter(Milter):
    """clearbounce-milter started without -f, as a system without systemd
    starts it: it goes into the background once its socket is open, and its
    log goes to syslog only (log_text() has just what it wrote before)."""

    def start(self, timeout=15):
        with open(self.logfile, "ab") as log_handle:
            parent = subprocess.run([self.binary, "-c", self.config], stdout=log_handle, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, timeout=timeout)
        if parent.returncode != 0:
            raise Failure(f"clearbounce-milter exited with {parent.returncode}:\n{self.log_text()}")
        wanted = [self.binary, "-c", self.config]
        for pid in (int(name) for name in os.listdir("/proc") if name.isdigit()):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read().split(b"\0")[:-1] == [arg.encode() for arg in wanted]:
                        self.process = DaemonProcess(pid)
                        break
            except OSError:
                continue
        if self.process is None or not self.accepting():
            raise Failure(f"clearbounce-milter went into the background but does not serve {self.socket}")


# ---------------------------------------------------------------------------
# Scenarios


TEMPORARY_FAILURE_SETTINGS = {
    # A delay warning as soon as a message is deferred, and the final bounce
    # a few retries later; retries every second or two.
    "delay_warning_time": "1s",
    "maximal_queue_lifetime": "12s",
    "bounce_queue_lifetime": "12s",
}


def new_instance(work, name, cases, certs, main_extra=None):
    extra = dict(TEMPORARY_FAILURE_SETTINGS)
    extra.update(main_extra or {})
    return PostfixInstance(os.path.join(work, name), transports_for(cases), tls_policy_for(cases),
                           main_extra=extra, ca_file=certs["ca"])


def scenario_postfix_baseline(args, work, checks):
    """Postfix alone: the DSNs it writes for each case, then classify/rewrite."""
    certs = make_certificates(os.path.join(work, "certs"))
    cases = make_cases(certs)
    peers = start_peers(cases, net=1)
    instance = new_instance(work, "postfix", cases, certs)
    try:
        instance.start()
        collected = run_cases_round(instance, cases, checks, "postfix")
    finally:
        instance.stop()
        for peer in peers:
            peer.close()
    save(os.path.join(work, "dsn"), collected)
    mislabels = []
    for case in cases:
        for action, category in case.expect.items():
            raw = collected.get((case.name, action))
            if raw is None:
                continue
            path = os.path.join(work, "dsn", f"{case.name}.{action}.eml")
            result = subprocess.run([args.cli, "classify", "--json", path], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
            got = rows[0].get("category") if len(rows) == 1 else None
            diagnostic = rows[0].get("diagnostic") if rows else ""
            if not checks.check(got == category, f"classify: {case.name} ({action}) is {category}",
                                f"got {got!r} for: {diagnostic}"):
                mislabels.append(f"{case.name} ({action}): {got} for {diagnostic!r}")
            rewritten = subprocess.run([args.cli, "rewrite", path], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
            header = dsn_parts.clearbounce_header(rewritten.stdout)
            checks.check(header == {"category": category, "locale": case.locale},
                         f"rewrite: {case.name} ({action}) gets X-Clearbounce category={category}; "
                         f"locale={case.locale}", f"got {header}; stderr: {rewritten.stderr.decode()[-300:]}")
            checks.check(dsn_parts.machine_parts(rewritten.stdout) == dsn_parts.machine_parts(raw)
                         and dsn_parts.machine_parts(raw),
                         f"rewrite: {case.name} ({action}) keeps the report parts byte-identical")
    if mislabels:
        log("Postfix wordings the classifier mislabels:\n  " + "\n  ".join(mislabels))


def check_milter_dsn(checks, label, case, action, raw, dry_raw, dry_run):
    """The DSN the milter let through: X-Clearbounce, MIME structure, and
    report parts identical to the dry run's (queue ids and clock masked)."""
    what = f"{label}: {case.name} ({action})"
    header = dsn_parts.clearbounce_header(raw)
    checks.check(header == {"category": case.expect[action], "locale": case.locale}
                 and len(dsn_parts.parse(raw).get_all("X-Clearbounce", [])) == 1,
                 f"{what}: one X-Clearbounce: category={case.expect[action]}; locale={case.locale}", f"got {header}")
    defects = dsn_parts.mime_defects(raw)
    checks.check(not defects, f"{what}: valid MIME", "; ".join(defects))
    types = [ctype for ctype, _ in dsn_parts.body_parts(raw)]
    if dry_run:
        checks.check(types[:1] == ["text/plain"] and b"This is the mail system at host" in raw,
                     f"{what}: dry run leaves Postfix's text", f"parts: {types}")
        return
    checks.check(types[:1] == ["multipart/alternative"] and b"This is the mail system at host" not in raw,
                 f"{what}: the human-readable part is rewritten", f"parts: {types}")
    mine = dsn_parts.machine_parts(raw)
    theirs = dsn_parts.machine_parts(dry_raw) if dry_raw else None
    same = theirs is not None and len(mine) == len(theirs) and mine and all(
        a[0] == b[0] and dsn_parts.mask_volatile(a[1]) == dsn_parts.mask_volatile(b[1]) for a, b in zip(mine, theirs))
    checks.check(same, f"{what}: report parts byte-identical to the dry run's "
                 f"({', '.join(t for t, _ in mine)})", first_difference(mine, theirs))


def first_difference(mine, theirs):
    if theirs is None:
        return "no dry-run DSN to compare with"
    if len(mine) != len(theirs):
        return f"{len(mine)} report parts, dry run {len(theirs)}"
    for (ta, a), (tb, b) in zip(mine, theirs):
        a, b = dsn_parts.mask_volatile(a), dsn_parts.mask_volatile(b)
        if ta != tb or a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            return f"{ta}: differs at byte {at}: {a[max(0, at - 40):at + 40]!r} vs {b[max(0, at - 40):at + 40]!r}"
    return ""


def need_milter(args):
    if not args.milter or not os.access(args.milter, os.X_OK):
        raise Skip(f"clearbounce-milter is not built ({args.milter or 'no --milter given'})")


def scenario_postfix_bounce(args, work, checks):
    """The milter in non_smtpd_milters: Postfix's own DSNs, dry run and real
    run side by side (two instances, the same peers)."""
    need_milter(args)
    certs = make_certificates(os.path.join(work, "certs"))
    cases = make_cases(certs)
    peers = start_peers(cases, net=2)
    rounds = {}
    try:
        for name, dry_run in (("dry-run", True), ("rewrite", False)):
            milter = Milter(args.milter, os.path.join(work, f"milter-{name}"), dry_run,
                            kind="unix" if not dry_run else "inet")
            milter.start()
            instance = new_instance(work, f"postfix-{name}", cases, certs, {
                "internal_mail_filter_classes": "bounce",
                "non_smtpd_milters": milter.postfix_milters,
            })
            rounds[name] = (milter, instance, Checks(args.scenario, buffered=True))
            instance.start()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = {name: pool.submit(run_cases_round, instance, cases, sub, name)
                       for name, (milter, instance, sub) in rounds.items()}
            collected = {name: future.result() for name, future in futures.items()}
        for name, (milter, instance, sub) in rounds.items():
            checks.merge(sub)
            checks.check(milter.process.poll() is None, f"{name}: the milter is still running",
                         f"{milter.state()}:\n{milter.log_text()[-1000:]}")
    finally:
        for milter, instance, _ in rounds.values():
            instance.stop()
            milter.stop()
        for peer in peers:
            peer.close()
    for name in ("dry-run", "rewrite"):
        save(os.path.join(work, f"dsn-{name}"), collected[name])
        # Mail received over SMTP never reaches non_smtpd_milters: the milter
        # saw exactly Postfix's own DSNs, no connection for the originals.
        milter = rounds[name][0]
        seen = re.findall(r"stats: seen=(\d+)", milter.log_text())
        checks.check(bool(seen) and int(seen[-1]) == len(collected[name]),
                     f"{name}: the milter saw only the {len(collected[name])} DSNs, not the mail received over SMTP",
                     f"its last stats line says seen={seen[-1] if seen else '?'}")
    for case in cases:
        for action in case.expect:
            dry = collected["dry-run"].get((case.name, action))
            real = collected["rewrite"].get((case.name, action))
            if dry:
                check_milter_dsn(checks, "dry-run", case, action, dry, None, True)
            if real:
                check_milter_dsn(checks, "rewrite", case, action, real, dry, False)


DELIVERY_HEADERS = (b"return-path:", b"x-original-to:", b"delivered-to:")


def as_written(raw):
    """A delivered message without the headers the virtual delivery agent put
    on top (Return-Path, X-Original-To, Delivered-To)."""
    while raw.lower().startswith(DELIVERY_HEADERS):
        raw = raw[raw.index(b"\n") + 1:]
    return raw


def swaks(instance, sender, recipient, path):
    result = subprocess.run(["swaks", "--server", f"127.0.0.1:{instance.smtpd_port}", "--ehlo", "mx.remote.test",
                             "--from", sender, "--to", recipient, "--data", f"@{path}", "--suppress-data"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if result.returncode != 0:
        raise Failure(f"swaks failed ({result.returncode}):\n{result.stdout[-2000:]}")


def wait_for_messages(instance, box, count, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        messages = instance.messages(box)
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.25)


BACKSCATTER_NOTICE = "This report is about a message that was not sent from this mail system."


def backscatter_report():
    """A report from a server elsewhere about a message a spammer sent with
    alice@origin.test as its sender, from a bot: it never passed through the
    test instance (mail.origin.test), and its Message-ID is the bot's."""
    return (b"From: MAILER-DAEMON@mx.elsewhere.test (Mail Delivery System)\r\n"
            b"To: alice@origin.test\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\n"
            b"Date: " + ORIGINAL_DATE.encode() + b"\r\n"
            b"Message-Id: <20261101120001.77AA1@mx.elsewhere.test>\r\n"
            b"Auto-Submitted: auto-replied\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"BS.77AA1\"\r\n"
            b"\r\n"
            b"--BS.77AA1\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\n"
            b"\r\n"
            b"Your account will be closed: confirm your password at https://phish.elsewhere.test/ today.\r\n"
            b"\r\n"
            b"--BS.77AA1\r\n"
            b"Content-Type: message/delivery-status\r\n"
            b"\r\n"
            b"Reporting-MTA: dns; mx.elsewhere.test\r\n"
            b"\r\n"
            b"Final-Recipient: rfc822; nobody@elsewhere.test\r\n"
            b"Action: failed\r\n"
            b"Status: 5.1.1\r\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 <nobody@elsewhere.test>: Recipient address rejected: User unknown\r\n"
            b"\r\n"
            b"--BS.77AA1\r\n"
            b"Content-Type: text/rfc822-headers\r\n"
            b"\r\n"
            b"Received: from bot.dsl.example.net (bot.dsl.example.net [198.51.100.9])\r\n"
            b"\tby mx.elsewhere.test (Postfix) with ESMTP id 77AA1\r\n"
            b"\tfor <nobody@elsewhere.test>; " + ORIGINAL_DATE.encode() + b"\r\n"
            b"Message-ID: <a8f3.77@bot.dsl.example.net>\r\n"
            b"From: Alice <alice@origin.test>\r\n"
            b"To: nobody@elsewhere.test\r\n"
            b"Subject: Cheap watches\r\n"
            b"\r\n"
            b"--BS.77AA1--\r\n")


def scenario_postfix_smtpd(args, work, checks):
    """The milter in smtpd_milters: real Postfix DSNs (written by the same
    instance, no milter on that path) come back in over SMTP from swaks with
    MAIL FROM:<>, as a report from another server would."""
    need_milter(args)
    if not shutil.which("swaks"):
        raise Skip("swaks is not installed (./scripts/test.sh installs it)")
    certs = make_certificates(os.path.join(work, "certs"))
    cases = [case for case in make_cases(certs) if case.name in ("unknown", "mailbox-full")]
    cases[1].language = "fr"
    peers = start_peers(cases, net=3)
    milter = Milter(args.milter, os.path.join(work, "milter"), dry_run=False, kind="inet")
    instance = new_instance(work, "postfix", cases, certs, {"smtpd_milters": milter.postfix_milters})
    try:
        milter.start()
        instance.start()
        originals = run_cases_round(instance, cases, checks, "postfix")
        sent = {}
        for (name, action), raw in sorted(originals.items()):
            path = os.path.join(work, f"{name}.{action}.eml")
            with open(path, "wb") as f:
                f.write(as_written(raw))
            swaks(instance, "<>", "carol@origin.test", path)
            sent[name] = as_written(raw)
        # Backscatter: a report about a message that never passed through here.
        # (LF line ends, as the maildir stores it; swaks sends CRLF.)
        path = os.path.join(work, "backscatter.eml")
        sent["elsewhere"] = backscatter_report().replace(b"\r\n", b"\n")
        with open(path, "wb") as f:
            f.write(sent["elsewhere"])
        swaks(instance, "<>", "carol@origin.test", path)
        # Ordinary mail through the same milter: untouched.
        plain = os.path.join(work, "plain.eml")
        plain_bytes = original_message(cases[0], tag="plain").replace(b"\r\n", b"\n")
        with open(plain, "wb") as f:
            f.write(plain_bytes)
        swaks(instance, "alice@origin.test", "carol@origin.test", plain)
        received = wait_for_messages(instance, "carol", len(sent) + 1)
        checks.check(len(received) == len(sent) + 1, f"carol received {len(sent) + 1} messages",
                     f"got {len(received)}; maillog:\n{instance.log_tail(15)}")
        checks.check(milter.process.poll() is None, "the milter is still running",
                     f"{milter.state()}:\n{milter.log_text()[-1000:]}")
    finally:
        instance.stop()
        milter.stop()
        for peer in peers:
            peer.close()
    by_subject = {}
    for _, raw in received:
        fields = dsn_parts.report_fields(raw)
        key = fields[0].get("final-recipient", "").split("@")[-1].replace(".test", "") if fields else "plain"
        by_subject[key] = raw
    for case in cases:
        raw = by_subject.get(case.name)
        what = f"smtpd: {case.name} (failed) received over SMTP"
        if not checks.check(raw is not None, f"{what}: delivered"):
            continue
        header = dsn_parts.clearbounce_header(raw)
        category = case.expect["failed"]
        checks.check(header == {"category": category, "locale": case.locale},
                     f"{what}: X-Clearbounce: category={category}; locale={case.locale} (not forged=yes: "
                     f"the message passed through this Postfix)", f"got {header}")
        checks.check(len((dsn_parts.clearbounce_fields(raw) or {}).get("mac", "")) == 43,
                     f"{what}: X-Clearbounce has a MAC", f"got {dsn_parts.clearbounce_fields(raw)}")
        defects = dsn_parts.mime_defects(raw)
        checks.check(not defects, f"{what}: valid MIME", "; ".join(defects))
        types = [ctype for ctype, _ in dsn_parts.body_parts(raw)]
        checks.check(types[:1] == ["multipart/alternative"], f"{what}: the human-readable part is rewritten",
                     f"parts: {types}")
        mine, theirs = dsn_parts.machine_parts(raw), dsn_parts.machine_parts(sent[case.name])
        checks.check(mine == theirs and bool(mine),
                     f"{what}: report parts byte-identical to the bytes sent ({', '.join(t for t, _ in mine)})",
                     first_difference(mine, theirs))
    raw = by_subject.get("elsewhere")
    what = "smtpd: a report about a message that never passed through this Postfix"
    if checks.check(raw is not None, f"{what}: delivered"):
        header = dsn_parts.clearbounce_header(raw)
        checks.check(header == {"category": "recipient.unknown", "locale": "en", "forged": "yes"},
                     f"{what}: X-Clearbounce: category=recipient.unknown; locale=en; forged=yes", f"got {header}")
        text = dsn_parts.notice_text(raw)
        checks.check(BACKSCATTER_NOTICE in text, f"{what}: the text says the sender was forged", text[:600])
        mine, theirs = dsn_parts.machine_parts(raw), dsn_parts.machine_parts(sent["elsewhere"])
        checks.check(mine == theirs and bool(mine), f"{what}: report parts byte-identical to the bytes sent",
                     first_difference(mine, theirs))
    for case in cases:
        text = dsn_parts.notice_text(by_subject.get(case.name) or b"")
        checks.check(text and BACKSCATTER_NOTICE not in text,
                     f"smtpd: {case.name}: no backscatter notice (the message passed through this Postfix)",
                     text[:600])
    raw = by_subject.get("plain")
    if checks.check(raw is not None, "smtpd: an ordinary message is delivered"):
        head, body = dsn_parts.split_head(raw)
        # (swaks ends the data with an empty line of its own)
        checks.check(b"X-Clearbounce" not in head
                     and body.rstrip(b"\n") == dsn_parts.split_head(plain_bytes)[1].rstrip(b"\n"),
                     "smtpd: the ordinary message passes unchanged")


DIAGNOSED = {
    # What the milter's own look at each peer finds, for the causes Postfix's
    # DSN leaves open ("Server certificate not verified"; a refused
    # connection, looked at again). The rest keep their categories.
    "tls-expired": "tls.certificate_expired",
    "tls-not-yet-valid": "tls.certificate_not_yet_valid",
    "tls-self-signed": "tls.certificate_untrusted",
    # The name Postfix checked is its TLS policy's (match=mx.tls.test): the
    # probe of the bare address checks that one too.
    "tls-wrong-name": "tls.certificate_name_mismatch",
    "tls-not-offered": "tls.not_offered",
    "refused": "network.connection_refused",
    # Verification fails with "unable to get local issuer certificate" (the
    # intermediate not sent) or "self-signed certificate in certificate
    # chain" (the unknown CA's peer sends its root): the probe trusts only
    # the test CA, as Postfix does.
    "tls-unknown-ca": "tls.certificate_untrusted",
    "tls-missing-intermediate": "tls.certificate_untrusted",
    # Postfix's DSN says "handshake failure" already; the look confirms it.
    "tls-1.0-only": "tls.handshake_failed",
    "tls-no-shared-cipher": "tls.handshake_failed",
}
DIAGNOSIS_TIMEOUT_MS = 2500  # below the instances' milter_content_timeout (5 s)
HELO_NAME = "probe.origin.test"
MILTER_USER = "nobody"  # the milter drops root; Postfix's tables must be readable by it


def diagnose_config(instance, certs, network):
    """The milter's [diagnose] table for probing this instance's peers: the
    routes from its own main.cf, the test CA (Postfix's smtp_tls_CAfile),
    loopback allowed."""
    return (f'user = "{MILTER_USER}"\n'
            "[diagnose]\n"
            "enabled = true\n"
            f"timeout_ms = {DIAGNOSIS_TIMEOUT_MS}\n"
            f'helo_name = "{HELO_NAME}"\n'
            f'ca_file = "{certs["ca"]}"\n'
            f'allow_networks = ["{network}"]\n'
            f'postfix_directory = "{instance.etc}"\n')


@functools.lru_cache(maxsize=None)
def catalogue(locale):
    """The shipped catalogue of a locale, as a dictionary (read once)."""
    import tomllib
    with open(os.path.join(HERE, "..", "..", "templates", "locales", f"{locale}.toml"), "rb") as f:
        return tomllib.load(f)


def localized_date(moment, locale):
    """A UTC struct_time the way the locale's catalogue writes dates (its
    [dates] pattern; templates/dates.cpp), to find in a notice."""
    names = catalogue(locale)["dates"]
    values = {
        "weekday": names["weekdays"][moment.tm_wday], "day": str(moment.tm_mday), "day2": f"{moment.tm_mday:02}",
        "month": names["months"][moment.tm_mon - 1], "month_number": str(moment.tm_mon),
        "year": str(moment.tm_year), "hour": f"{moment.tm_hour:02}", "minute": f"{moment.tm_min:02}",
        "hour12": str(moment.tm_hour % 12 or 12), "ampm": names["am"] if moment.tm_hour < 12 else names["pm"],
        "utc_offset": "",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), names["datetime"])


def flat(text):
    """A notice's text with every run of white space made one space (the text
    is wrapped)."""
    return " ".join(text.split())


def check_routes_readable(checks, instance, cases):
    """The milter, as MILTER_USER, reads Postfix's routes with postconf and
    postmap -c <the instance's etc>: they must answer for that user."""
    account = pwd.getpwnam(MILTER_USER)

    def as_milter_user(*argv):
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30,
                              user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    maps = as_milter_user("/usr/sbin/postconf", "-c", instance.etc, "-h", "transport_maps")
    checks.check(maps.returncode == 0 and maps.stdout.strip() == f"texthash:{instance.etc}/transport",
                 f"postconf -c {instance.etc} answers for user {MILTER_USER}", maps.stdout)
    case = cases[0]
    entry = as_milter_user("/usr/sbin/postmap", "-c", instance.etc, "-q", case.domain, maps.stdout.strip())
    checks.check(entry.returncode == 0 and entry.stdout.strip() == f"smtp:{case.nexthop}",
                 f"postmap -q {case.domain} answers for user {MILTER_USER}: smtp:{case.nexthop}", entry.stdout)


def check_diagnosed_texts(checks, collected, cases, certs, since):
    """The facts the probes found, in the rewritten notices' words."""
    by_name = {case.name: case for case in cases}
    not_before = certificate_dates(certs["not-yet-valid"][0])[0]
    not_after = certificate_dates(certs["expired"][0])[1]
    for name, moment, what in (("tls-expired", not_after, "the expiry date"),
                               ("tls-not-yet-valid", not_before, "the date it becomes valid")):
        case = by_name[name]
        for action in case.expect:
            text = flat(dsn_parts.notice_text(collected.get((name, action)) or b""))
            date = localized_date(moment, case.locale)
            checks.check(date in text, f"diagnose: {name} ({action}): the notice ({case.locale}) gives {what}: "
                         f"{date}", text[:900])
    for action in by_name["tls-wrong-name"].expect:
        text = flat(dsn_parts.notice_text(collected.get(("tls-wrong-name", action)) or b""))
        checks.check("mx.elsewhere.test" in text and "mx.tls.test" in text,
                     f"diagnose: tls-wrong-name ({action}): the notice names the certificate's name "
                     "(mx.elsewhere.test) and the one expected (mx.tls.test)", text[:900])
    for name, seen in LOOKED_AT.items():
        case = by_name[name]
        for action in case.expect:
            check_look_in_text(checks, f"diagnose: {name} ({action})", case,
                               flat(dsn_parts.notice_text(collected.get((name, action)) or b"")), seen, since)


# What the look at a peer saw, as the notice's technical section gives it,
# for the cases whose texts have no fact of the certificate: the
# verification error (not Postfix's "untrusted issuer", which both share),
# or why the handshake failed (the reason Postfix logged, not the words of
# its DSN).
LOOKED_AT = {
    "tls-unknown-ca": "certificate not verified (self-signed certificate in certificate chain",
    "tls-missing-intermediate": "certificate not verified (unable to get local issuer certificate",
    "tls-1.0-only": "TLS handshake failed (legacy sigalg disallowed or unsupported)",
    "tls-no-shared-cipher": "TLS handshake failed (sslv3 alert handshake failure)",
}


def frame_text(locale, key):
    """A [text] entry of the locale's catalogue, e.g. the heading over the
    technical section."""
    return catalogue(locale)["text"][key]


def check_look_in_text(checks, what, case, text, seen, since):
    """The technical section says what the look at the case's peer saw and
    when, in the locale's words (the look happened after `since`, a UTC
    epoch second); the sentence gives the same moment."""
    address = case.nexthop[1:].split("]")[0]
    prose, _, details = text.partition(frame_text(case.locale, "technical"))
    row = re.search(re.escape(frame_text(case.locale, "technical_checked")) + r"(.*?)" + re.escape(f"[{address}]:") +
                    r"\d+: " + re.escape(seen), details)
    if not checks.check(row is not None, f"{what}: the technical section says what the look at {address} saw: "
                        f"{seen}", details[-900:]):
        return
    minutes = range(int(since) // 60 * 60, int(time.time()) + 60, 60)
    dates = [date for date in (localized_date(time.gmtime(m), case.locale) for m in minutes) if date in row.group(1)]
    if not checks.check(len(dates) == 1, f"{what}: the technical section says when the look at {address} "
                        "happened, in the locale's words", row.group(0)):
        return
    checks.check(dates[0] in prose, f"{what}: the notice says when it was looked at: {dates[0]}", prose[:900])


def forged_report(raw, domain, other):
    """One of Postfix's DSNs made into a report about `other` (a domain whose
    peer nobody has looked at yet), as anyone could send it over SMTP."""
    head, body = dsn_parts.split_head(as_written(raw))
    kept, dropping = [], False
    for line in head.splitlines(keepends=True):  # X-Clearbounce and its continuation lines go
        dropping = line.lower().startswith(b"x-clearbounce:") or (dropping and line[:1] in (b" ", b"\t"))
        if not dropping:
            kept.append(line)
    return (b"".join(kept) + body).replace(domain.encode(), other.encode())


def diagnosing_round(args, work, name, cases, certs, network):
    """A Postfix instance and its milter with [diagnose] on, for one round:
    the dry run's milter runs in the background (no -f), the other in the
    foreground (as systemd starts it) and also in smtpd_milters. The milter
    starts after the instance's main.cf is written and before Postfix: it
    reads the routes (postconf) when it starts."""
    dry_run = name == "dry-run"
    instance = new_instance(work, f"postfix-{name}", cases, certs)
    milter = (DaemonizedMilter if dry_run else Milter)(
        args.milter, os.path.join(work, f"milter-{name}"), dry_run, kind="inet" if dry_run else "unix",
        extra_config=diagnose_config(instance, certs, f"127.0.{network}.0/24"))
    os.chown(milter.directory, pwd.getpwnam(MILTER_USER).pw_uid, -1)  # it removes its socket at exit
    instance.main_extra.update({"internal_mail_filter_classes": "bounce", "non_smtpd_milters": milter.postfix_milters})
    if not dry_run:
        instance.main_extra["smtpd_milters"] = milter.postfix_milters
    instance.write_config()
    milter.start()
    return milter, instance


def send_forged_reports(work, instance, source, targets):
    """Postfix's DSN `source` (about tls-expired.test) made into a report about
    each target's domain and sent in over SMTP. ({target: bytes sent}, the
    messages carol received)."""
    sent = {}
    for target in targets:
        sent[target.name] = forged_report(source, "tls-expired.test", target.domain)
        path = os.path.join(work, f"forged-{target.name}.eml")
        with open(path, "wb") as f:
            f.write(sent[target.name])
        swaks(instance, "<>", "carol@origin.test", path)
    return sent, wait_for_messages(instance, "carol", len(sent))


def check_forged_reports(checks, sent, received):
    """Each forged report came through with the category its text gives and
    nothing a diagnosis would add, its report parts untouched."""
    got = {}
    for _, raw in received:
        if dsn_parts.report_fields(raw):
            got[final_recipient(raw).rpartition("@")[2].removesuffix(".test")] = raw
    for name, forged in sent.items():
        raw = got.get(name)
        what = f"forged report about {name} over SMTP"
        if not checks.check(raw is not None, f"{what}: delivered", f"carol got {sorted(got)}"):
            continue
        header = dsn_parts.clearbounce_header(raw) or {}
        checks.check(header.get("category") == "tls.certificate_not_verified",
                     f"{what}: X-Clearbounce shows no diagnosis (category=tls.certificate_not_verified)", f"got {header}")
        mine, theirs = dsn_parts.machine_parts(raw), dsn_parts.machine_parts(forged)
        checks.check(mine == theirs and bool(mine), f"{what}: report parts byte-identical to the bytes sent",
                     first_difference(mine, theirs))


def check_diagnose_counters(checks, name, milter):
    """The stats line the milter logs when it stops counts the probes."""
    stats = re.findall(r"stats: .*", milter.log_text())
    counters = dict(re.findall(r"(diagnose_\w+)=(\d+)", stats[-1])) if stats else {}
    checks.check(int(counters.get("diagnose_probes", 0)) > 0 and int(counters.get("diagnose_refined", 0)) > 0,
                 f"{name}: the milter's stats line counts probes and refined reports",
                 stats[-1] if stats else "no stats line")
    if counters:
        log(f"        {name}: " + " ".join(f"{k}={v}" for k, v in counters.items()))


def scenario_postfix_diagnose(args, work, checks):
    """The milter in non_smtpd_milters with [diagnose] on: for Postfix's own
    DSNs whose cause is open it probes the very peer Postfix used (from the
    instance's transport_maps) and the notice names the cause and its facts.
    The same milter in smtpd_milters: a report received over SMTP makes no
    probe, even for a domain routed to a failing peer."""
    need_milter(args)
    if not shutil.which("swaks"):
        raise Skip("swaks is not installed (./scripts/test.sh installs it)")
    started = time.time()  # no look at a peer happens before
    certs = make_certificates(os.path.join(work, "certs"))
    cases = make_cases(certs)
    for case in cases:
        case.expect = {action: DIAGNOSED.get(case.name, category) for action, category in case.expect.items()}
    expired = next(case for case in cases if case.name == "tls-expired")
    expired.language = "de"  # a localized date
    # Only ever named in a forged report: nothing may connect to it.
    untouched = Case("tls-forged", "starttls", certs["expired"], {}, tls="secure match=mx.tls.test")
    network = 6
    peers = start_peers(cases + [untouched], net=network)
    rounds = {}
    try:
        for name in ("dry-run", "rewrite"):
            milter, instance = diagnosing_round(args, work, name, cases + [untouched], certs, network)
            rounds[name] = (milter, instance, Checks(args.scenario, buffered=True))
            instance.start()
        check_routes_readable(checks, rounds["rewrite"][1], cases)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = {name: pool.submit(run_cases_round, instance, cases, sub, name)
                       for name, (milter, instance, sub) in rounds.items()}
            collected = {name: future.result() for name, future in futures.items()}
        for name, (milter, instance, sub) in rounds.items():
            checks.merge(sub)
        source = collected["dry-run"].get(("tls-expired", "failed"))
        if not checks.check(source is not None, "a tls-expired DSN to forge reports from"):
            return
        # Forged reports over SMTP, the peers still up: one about the peer
        # nobody looked at, one about a peer whose finding is in the cache.
        forged_at = time.time()
        sent, received = send_forged_reports(work, rounds["rewrite"][1], source, [untouched, expired])
        time.sleep(1)  # a probe, were one started, would have connected by now
        for name, (milter, instance, sub) in rounds.items():
            checks.check(milter.process.poll() is None, f"{name}: the milter is still running",
                         f"{milter.state()}:\n{milter.log_text()[-1000:]}")
    finally:
        for milter, instance, _ in rounds.values():
            instance.stop()
            milter.stop()
        for peer in peers:
            peer.close()

    late = [(peer.name, moment, client) for peer in peers for moment, client in peer.connection_log
            if moment >= forged_at]
    checks.check(not late, "forged reports over SMTP: no peer got a connection after them",
                 f"connections after the forged reports: {late}")
    checks.check(untouched.peer.connections == 0, "forged reports over SMTP: tls-forged's peer was never connected to",
                 f"{untouched.peer.connections} connections")
    check_forged_reports(checks, sent, received)
    # The dry run's log went to syslog (no -f): its categories show its diagnosis.
    check_diagnose_counters(checks, "rewrite", rounds["rewrite"][0])
    for name in ("dry-run", "rewrite"):
        save(os.path.join(work, f"dsn-{name}"), collected[name])
    for case in cases:
        for action in case.expect:
            dry = collected["dry-run"].get((case.name, action))
            real = collected["rewrite"].get((case.name, action))
            if dry:
                check_milter_dsn(checks, "dry-run", case, action, dry, None, True)
            if real:
                check_milter_dsn(checks, "rewrite", case, action, real, dry, False)
    check_diagnosed_texts(checks, collected["rewrite"], cases, certs, started)


class MilterProxy:
    """A TCP relay between Postfix and the milter that understands milter
    packets enough to stop at one command: it can hold the end-of-message
    command (to kill the milter in the middle of a transaction), delay the
    milter's answer to it (a milter that is too slow), or stop listening
    (no milter at all: connection refused)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.hold = None           # command byte to hold until release is set
        self.held = threading.Event()
        self.release = threading.Event()
        self.reply_delay = 0.0     # seconds before the answer to end-of-message goes on
        self.connections = 0
        self._listener = None
        self.listen()

    def listen(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(16)
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def refuse(self):
        if self._listener:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None

    def reset(self):
        self.hold = None
        self.reply_delay = 0.0
        self.held.clear()
        self.release.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    @staticmethod
    def _exact(sock, n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _session(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        state = {"eob": False}

        def close_both():
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        def up():  # Postfix -> milter, packet by packet
            try:
                while True:
                    head = self._exact(client, 4)
                    if head is None:
                        break
                    body = self._exact(client, int.from_bytes(head, "big"))
                    if body is None:
                        break
                    if self.hold is not None and body[:1] == self.hold:
                        self.held.set()
                        self.release.wait(60)
                    if body[:1] == b"E":
                        state["eob"] = True
                    upstream.sendall(head + body)
            except OSError:
                pass
            close_both()

        def down():  # milter -> Postfix
            try:
                delayed = False
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    if state["eob"] and self.reply_delay and not delayed:
                        delayed = True
                        time.sleep(self.reply_delay)
                    client.sendall(data)
            except OSError:
                pass
            close_both()

        threading.Thread(target=up, daemon=True).start()
        down()
        client.close()
        upstream.close()


def scenario_postfix_faults(args, work, checks):
    """A milter that is not running, too slow, stopped or killed in the middle
    of a transaction: Postfix delivers the original DSN (default_action =
    accept). Every bounced message gives exactly one DSN; none is lost or
    duplicated; the milter rewrites again once it is back."""
    need_milter(args)
    certs = make_certificates(os.path.join(work, "certs"))
    cases = [case for case in make_cases(certs) if case.name == "unknown"]
    case = cases[0]
    peers = start_peers(cases, net=4)
    milters = [Milter(args.milter, os.path.join(work, "milter-1"), dry_run=False, kind="inet")]
    milters[0].start()
    proxy = MilterProxy(milters[0].port)
    timeouts = {"milter_connect_timeout": "3s", "milter_command_timeout": "3s", "milter_content_timeout": "5s"}
    instance = new_instance(work, "postfix", cases, certs, {
        "internal_mail_filter_classes": "bounce",
        "non_smtpd_milters": f"{{ inet:127.0.0.1:{proxy.port}, default_action=accept }}",
        **timeouts,
    })
    sent = []
    outcome = {}  # recipient -> "rewritten" or "original" (expected)

    def bounce(phase, count, expected):
        """Sends count messages that bounce; waits for their DSNs."""
        log_start = len(instance.log())
        recipients = [f"{phase}-{i}@{case.domain}" for i in range(count)]
        for recipient in recipients:
            data = original_message(case, tag=phase).replace(case.recipient.encode(), recipient.encode())
            submit(instance, "alice@origin.test", recipient, data)
            sent.append(recipient)
            outcome[recipient] = expected
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            arrived = {final_recipient(raw) for _, raw in instance.messages("alice")}
            if set(recipients) <= arrived:
                break
            time.sleep(0.25)
        return instance.log()[log_start:]

    def milter_warning(text, phase):
        warnings = [line for line in text.splitlines() if "warning:" in line and "milter" in line.lower()]
        checks.check(bool(warnings), f"{phase}: Postfix logged the milter failure",
                     "no milter warning in the maillog")
        if warnings:
            log(f"        Postfix: {warnings[0].split(': ', 1)[-1]}")

    try:
        instance.start()
        bounce("running", 2, "rewritten")

        milters[0].stop()
        proxy.refuse()
        milter_warning(bounce("not-running", 2, "original"), "not running")

        milters.append(Milter(args.milter, os.path.join(work, "milter-2"), dry_run=False, kind="inet"))
        milters[-1].start()
        proxy.upstream_port = milters[-1].port
        proxy.listen()
        bounce("restarted", 1, "rewritten")

        proxy.reply_delay = 7.0  # milter_content_timeout is 5s
        milter_warning(bounce("slow-reply", 1, "original"), "too slow (end-of-message answer 7 s late)")
        proxy.reset()

        milters[-1].signal(signal.SIGSTOP)
        milter_warning(bounce("stopped", 1, "original"), "too slow (process stopped)")
        milters[-1].signal(signal.SIGCONT)
        bounce("continued", 1, "rewritten")

        proxy.hold = b"E"  # SMFIC_BODYEOB: connection, headers and body are through
        submit_thread = threading.Thread(target=lambda: outcome.update(
            killed=bounce("killed", 1, "original")))
        submit_thread.start()
        checks.check(proxy.held.wait(30), "killed: the milter got the whole message before it died")
        milters[-1].process.kill()
        milters[-1].process.wait(10)
        proxy.release.set()
        submit_thread.join(90)
        milter_warning(outcome.pop("killed", ""), "killed in the middle of a transaction")
        proxy.reset()

        milters.append(Milter(args.milter, os.path.join(work, "milter-3"), dry_run=False, kind="inet"))
        milters[-1].start()
        proxy.upstream_port = milters[-1].port
        bounce("after-kill", 1, "rewritten")
        checks.check(wait_queue_empty(instance), "the queue is empty afterwards", "\n".join(instance.queue_listing()))
        checks.check(milters[-1].process.poll() is None, "the last milter is still running")
    finally:
        instance.stop()
        for milter in milters:
            milter.stop()
        proxy.refuse()
        for peer in peers:
            peer.close()

    delivered = [raw for _, raw in instance.messages("alice")]
    got = {}
    for raw in delivered:
        got.setdefault(final_recipient(raw), []).append(raw)
    checks.check(len(delivered) == len(sent), f"messages in and out: {len(sent)} bounced, {len(delivered)} DSNs",
                 f"recipients without a DSN: {sorted(set(sent) - set(got))}")
    checks.check(all(len(v) == 1 for v in got.values()) and set(got) == set(sent),
                 "no DSN lost, none duplicated",
                 f"duplicated: {[k for k, v in got.items() if len(v) > 1]}; lost: {sorted(set(sent) - set(got))}")
    notices = instance.log().count("sender non-delivery notification:")
    checks.check(notices == len(sent), f"Postfix wrote {len(sent)} non-delivery notifications", f"it logged {notices}")
    checks.check(not instance.messages("postmaster"), "nothing reached the postmaster")
    for recipient in sent:
        for raw in got.get(recipient, [])[:1]:
            expected = outcome[recipient]
            header = dsn_parts.clearbounce_header(raw)
            types = [ctype for ctype, _ in dsn_parts.body_parts(raw)]
            defects = dsn_parts.mime_defects(raw)
            if expected == "rewritten":
                ok = header == {"category": "recipient.unknown", "locale": "de"} and types[:1] == ["multipart/alternative"]
            else:
                ok = header is None and types[:1] == ["text/plain"] and b"This is the mail system at host" in raw
            checks.check(ok and not defects, f"{recipient}: delivered {expected}",
                         f"X-Clearbounce {header}, parts {types}, defects {defects}")


def final_recipient(raw):
    fields = dsn_parts.report_fields(raw)
    return fields[0].get("final-recipient", "").split(";")[-1].strip() if fields else None


def wait_stored(peer, count, timeout=60):
    deadline = time.monotonic() + timeout
    while len(peer.stored) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return list(peer.stored)


def check_remote_dsn(checks, what, raw, sent, category, locale, forged=False):
    header = dsn_parts.clearbounce_header(raw)
    want = {"category": category, "locale": locale, **({"forged": "yes"} if forged else {})}
    checks.check(header == want, f"{what}: X-Clearbounce: " + "; ".join(f"{k}={v}" for k, v in want.items()),
                 f"got {header}")
    defects = dsn_parts.mime_defects(raw)
    checks.check(not defects, f"{what}: valid MIME", "; ".join(defects))
    types = [ctype for ctype, _ in dsn_parts.body_parts(raw)]
    checks.check(types[:1] == ["multipart/alternative"], f"{what}: the human-readable part is rewritten",
                 f"parts: {types}")
    mine, theirs = dsn_parts.machine_parts(raw), dsn_parts.machine_parts(sent)
    checks.check(mine == theirs and bool(mine),
                 f"{what}: report parts byte-identical to the bytes sent ({', '.join(t for t, _ in mine)})",
                 first_difference(mine, theirs))


def scenario_sendmail(args, work, checks):
    """Sendmail (unpacked from the Debian packages) with INPUT_MAIL_FILTER:
    its own DSN does not pass the milter; sent back in over SMTP it does, as
    does a Postfix DSN."""
    import sendmail_instance
    need_milter(args)
    if not shutil.which("swaks"):
        raise Skip("swaks is not installed (./scripts/test.sh installs it)")
    try:
        root = sendmail_instance.unpacked_tree(os.path.join(os.path.dirname(work), "sendmail-packages"))
        sendmail_instance.check_runtime(root)
    except sendmail_instance.Unavailable as why:
        raise Skip(f"no Sendmail: {why}")
    sink = Peer("127.0.5.10", 0, "sink",
                ["unknown.test=550 5.1.1 <bob@unknown.test>... User unknown"], name="mx.sink.test")
    milter = Milter(args.milter, os.path.join(work, "milter"), dry_run=False, kind="inet")
    sendmail = sendmail_instance.SendmailInstance(root, os.path.join(work, "sendmail"), sink.address, sink.port,
                                                  milter_socket=milter.socket)

    class Target:  # what swaks() needs
        smtpd_port = free_port()

    try:
        milter.start()
        try:
            sendmail.start(Target.smtpd_port)
        except RuntimeError as error:
            raise Failure(str(error))
        # 1. Sendmail's own DSN: bob@unknown.test is refused by the peer.
        case = Case("unknown", None, language="de")
        submit(Target, "alice@origin.test", case.recipient, original_message(case, tag="sendmail"))
        stored = wait_stored(sink, 1)
        own = [data for sender, rcpts, data in stored if sender == "" and rcpts == ["alice@origin.test"]]
        if not checks.check(len(own) == 1, "Sendmail wrote a DSN for bob@unknown.test",
                            f"the peer got {[(s, r) for s, r, _ in stored]}\n{sendmail.trace_tail()}"):
            return
        dsn = own[0]
        checks.check(dsn_parts.clearbounce_header(dsn) is None and dsn_parts.report_fields(dsn),
                     "Sendmail's own DSN does not pass its milter (delivered as Sendmail wrote it)")
        fields = dsn_parts.report_fields(dsn)
        log(f"        Sendmail: {fields[0].get('diagnostic-code') if fields else '?'}")
        with open(os.path.join(work, "sendmail-dsn.eml"), "wb") as f:
            f.write(dsn)
        # 2. The same DSN and a Postfix one (its message says Content-Language:
        #    de-AT) sent in over SMTP with MAIL FROM:<>.
        postfix_sample = os.path.join(HERE, "..", "..", "packaging", "samples", "postfix-mailbox-full.eml")
        with open(postfix_sample, "rb") as f:
            postfix_dsn = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with open(os.path.join(work, "postfix-dsn.eml"), "wb") as f:
            f.write(postfix_dsn)
        swaks(Target, "<>", "carol@origin.test", os.path.join(work, "sendmail-dsn.eml"))
        swaks(Target, "<>", "dave@origin.test", os.path.join(work, "postfix-dsn.eml"))
        # 3. Ordinary mail passes unchanged.
        plain = original_message(Case("plain", None), tag="plain")
        submit(Target, "alice@origin.test", "erin@origin.test", plain)
        stored = wait_stored(sink, 4)
        checks.check(milter.process.poll() is None, "the milter is still running",
                     f"{milter.state()}:\n{milter.log_text()[-1000:]}")
    finally:
        sendmail.stop()
        milter.stop()
        sink.close()
    by_rcpt = {rcpts[0]: data for _, rcpts, data in stored if rcpts}
    raw = by_rcpt.get("carol@origin.test")
    if checks.check(raw is not None, "sendmail: the Sendmail DSN received over SMTP is delivered"):
        check_remote_dsn(checks, "sendmail: Sendmail DSN over SMTP", raw, dsn, "recipient.unknown", "de")
    raw = by_rcpt.get("dave@origin.test")
    if checks.check(raw is not None, "sendmail: the Postfix DSN received over SMTP is delivered"):
        # Its message went through mail.example.com, never this Sendmail
        # (mail.sendmail.test, its {j}): backscatter, as far as this system can tell.
        check_remote_dsn(checks, "sendmail: Postfix DSN over SMTP", raw, postfix_dsn, "recipient.mailbox_full", "de-AT",
                         forged=True)
    raw = by_rcpt.get("erin@origin.test")
    if checks.check(raw is not None, "sendmail: an ordinary message is delivered"):
        head, body = dsn_parts.split_head(raw)
        checks.check(b"X-Clearbounce" not in head and body == dsn_parts.split_head(plain)[1],
                     "sendmail: the ordinary message passes unchanged")


SCENARIOS = {
    "postfix-baseline": scenario_postfix_baseline,
    "postfix-bounce": scenario_postfix_bounce,
    "postfix-smtpd": scenario_postfix_smtpd,
    "postfix-faults": scenario_postfix_faults,
    "postfix-diagnose": scenario_postfix_diagnose,
    "sendmail": scenario_sendmail,
}


def preflight(args):
    if os.geteuid() != 0:
        raise Skip("the e2e tests run a private Postfix instance and need root")
    if not shutil.which("postfix", path="/usr/sbin:/usr/bin:/sbin:/bin"):
        raise Skip("postfix is not installed (./scripts/test.sh installs it)")
    os.environ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin:" + os.environ.get("PATH", "")
    for user in ("postfix", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise Skip(f"no user {user}")
    if not shutil.which("openssl"):
        raise Skip("openssl is not installed")
    if args.cli and not os.access(args.cli, os.X_OK):
        raise Skip(f"{args.cli} is not built")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--cli", required=True, help="path of the clearbounce CLI")
    parser.add_argument("--milter", help="path of clearbounce-milter")
    parser.add_argument("--workdir", required=True, help="scratch directory (emptied first, kept afterwards)")
    args = parser.parse_args()

    started = time.monotonic()
    try:
        preflight(args)
        work = os.path.abspath(os.path.join(args.workdir, args.scenario))
        if os.path.exists(work):
            shutil.rmtree(work)
        os.makedirs(work)
        os.chmod(work, 0o755)
        checks = Checks(args.scenario)
        log(f"{args.scenario}: working in {work}")
        SCENARIOS[args.scenario](args, work, checks)
    except Skip as skip:
        log(f"SKIPPED {args.scenario}: {skip}")
        return SKIP
    except (Failure, PostfixError) as error:
        log(f"FAILED {args.scenario}: {error}")
        return 1
    except Exception:  # a harness error is a failure too, with its traceback
        import traceback
        log(f"FAILED {args.scenario}:\n{traceback.format_exc()}")
        return 1
    elapsed = time.monotonic() - started
    if checks.failures:
        log(f"FAILED {args.scenario}: {len(checks.failures)} of {len(checks.failures) + checks.passed} "
            f"checks failed ({elapsed:.0f}s):\n  " + "\n  ".join(checks.failures))
        return 1
    log(f"PASSED {args.scenario}: {checks.passed} checks ({elapsed:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

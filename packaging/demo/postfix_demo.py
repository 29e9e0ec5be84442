#!/usr/bin/env python3
"""The Postfix part of ./scripts/demo.sh (Python standard library only).

Three scripted SMTP servers on loopback addresses fail the way real ones do:
an unknown user (550 5.1.1 at RCPT), a certificate that expired a month ago
(the TLS policy demands a verified one) and a full mailbox (552 5.2.2). Two
private Postfix instances send the same three messages to them:

  before  Postfix alone: the bounces as they are today;
  after   the same Postfix with the installed clearbounce-milter in
          non_smtpd_milters (internal_mail_filter_classes = bounce).

Postfix reports only "Server certificate not verified". The milter, with the
diagnosis on (demo.sh's configuration), looks at the server that Postfix
used for that domain (the "after" instance's transport_maps) and its
bounce says that the certificate expired, and on which date. So that the
milter can read those routes when it starts, --start-milter names the
command that starts it; it runs once both instances are up, before any mail
is sent.

Each bounce that comes back to the sender is printed twice, side by side:
Postfix's own text on the left, the rewritten one on the right. The raw
messages are kept under WORK/bounces/.

The instances are private (tests/e2e/postfix_instance.py: their own
configuration, queue and maildirs under WORK, smtpd on 127.0.0.1 at a free
port) and not chrooted, so they name the daemon's socket by its absolute
path. The system's Postfix, if any, is not touched.

    postfix_demo.py --work DIR --socket PATH [--start-milter COMMAND]
"""

import argparse
import email
import email.policy
import os
import shlex
import shutil
import smtplib
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..", "..", "tests", "e2e")
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, E2E)

from e2e import make_certificates  # noqa: E402  (test CA + failing server certificates)
from postfix_instance import PostfixInstance  # noqa: E402
from smtp_peer import Peer  # noqa: E402

SENDER = "alice@origin.test"
WAIT_SECONDS = 90


class Case:
    def __init__(self, title, domain, behaviour, args=(), tls=None):
        self.title = title
        self.domain = domain
        self.recipient = f"bob@{domain}"
        self.behaviour = behaviour
        self.args = list(args)
        self.tls = tls
        self.peer = None
        self.nexthop = None


def make_cases(certs):
    return [
        Case("Unknown user", "unknown-user.test", "reject-rcpt",
             ["550 5.1.1 <bob@unknown-user.test>: Recipient address rejected: User unknown in local recipient table"]),
        Case("Expired certificate", "bad-certificate.test", "starttls", certs["expired"],
             # Postfix insists on a certificate that verifies and names mx.tls.test;
             # the peer's expired one does not: Postfix defers, then bounces.
             tls="secure match=mx.tls.test"),
        Case("Mailbox full", "mailbox-full.test", "reject-rcpt",
             ["552 5.2.2 <bob@mailbox-full.test>: Recipient address rejected: Mailbox full"]),
    ]


def message(case):
    return "\r\n".join([
        f"From: Alice <{SENDER}>",
        f"To: Bob <{case.recipient}>",
        "Subject: Minutes of the March meeting",
        f"Message-ID: <{case.domain}.demo@origin.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Hello Bob, here are the minutes of our meeting.",
        "",
    ]).encode()


def instance(work, name, cases, certs, extra):
    settings = {
        # The certificate case: deferred, then returned after a few seconds
        # instead of five days; no delay warning before that.
        "maximal_queue_lifetime": "8s",
        "bounce_queue_lifetime": "8s",
        "delay_warning_time": "0h",
    }
    settings.update(extra)
    return PostfixInstance(os.path.join(work, name),
                           {case.domain: f"smtp:{case.nexthop}" for case in cases},
                           {case.nexthop: case.tls for case in cases if case.tls},
                           main_extra=settings, ca_file=certs["ca"])


def send(postfix, case):
    with smtplib.SMTP("127.0.0.1", postfix.smtpd_port, local_hostname="client.origin.test", timeout=30) as smtp:
        smtp.sendmail(SENDER, [case.recipient], message(case))


def bounces(postfix, cases):
    """{case: raw bounce} of what reached the sender so far."""
    found = {}
    for _, raw in postfix.messages("alice"):
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        for case in cases:
            if case.recipient.encode() in raw and msg.get_content_type() == "multipart/report":
                found.setdefault(case, raw)
    return found


def human_text(raw):
    """(Subject, the first text/plain part decoded) of a bounce."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(msg.get("Subject", ""))
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return subject, part.get_content()
    return subject, ""


def wrap(lines, width):
    out = []
    for line in lines:
        line = line.rstrip().expandtabs()
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line, width, subsequent_indent=indent + "  ", break_on_hyphens=False) or [""]
    return out


def side_by_side(title, before, after, width):
    column = (width - 3) // 2
    left_subject, left_text = human_text(before)
    right_subject, right_text = human_text(after)
    left = wrap([f"Subject: {left_subject}", ""] + left_text.splitlines(), column)
    right = wrap([f"Subject: {right_subject}", ""] + right_text.splitlines(), column)
    rule = "=" * width
    print(rule)
    print(f" {title}")
    print(rule)
    print(f"{'BEFORE: Postfix alone':<{column}} | AFTER: with clearbounce-milter")
    print(f"{'-' * column}-+-{'-' * column}")
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        print(f"{a:<{column}} | {b}".rstrip())
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="scratch directory (Postfix instances, certificates, bounces)")
    parser.add_argument("--socket", required=True, help="the installed clearbounce-milter's unix socket")
    parser.add_argument("--start-milter", metavar="COMMAND",
                        help="starts the milter (and waits for its socket) once both instances are up")
    parser.add_argument("--width", type=int, default=0, help="output width (default: the terminal's, at least 100)")
    args = parser.parse_args()
    width = args.width or max(100, shutil.get_terminal_size((160, 40)).columns)

    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # Postfix (user postfix) and its maildirs (user nobody) live below
    certs = make_certificates(os.path.join(work, "certs"))
    cases = make_cases(certs)
    peers = []
    instances = []
    try:
        for i, case in enumerate(cases):
            case.peer = Peer(f"127.0.77.{10 + i}", 0, case.behaviour, case.args, name=f"mx.{case.domain}")
            peers.append(case.peer)
            case.nexthop = f"[{case.peer.address}]:{case.peer.port}"

        milter = f"{{ unix:{args.socket}, default_action=accept }}"
        before = instance(work, "postfix-before", cases, certs, {})
        after = instance(work, "postfix-after", cases, certs, {
            "internal_mail_filter_classes": "bounce",
            "non_smtpd_milters": milter,
        })
        for postfix in (before, after):
            postfix.start()
            instances.append(postfix)
        print(f"Postfix without milter:  smtpd on 127.0.0.1:{before.smtpd_port}, files in {before.root}")
        print(f"Postfix with clearbounce: smtpd on 127.0.0.1:{after.smtpd_port}, files in {after.root}")
        print(f"  internal_mail_filter_classes = bounce")
        print(f"  non_smtpd_milters = {milter}")
        for case in cases:
            print(f"Failing server for {case.recipient}: {case.nexthop} ({case.title.lower()})")
        print(flush=True)
        if args.start_milter and subprocess.run(shlex.split(args.start_milter)).returncode != 0:
            return 1

        for case in cases:
            for postfix in (before, after):
                send(postfix, case)
        print(f"Sent one message to each from {SENDER} through both; waiting for the bounces "
              f"(the certificate case takes about 10 s) ...", flush=True)

        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            got_before, got_after = bounces(before, cases), bounces(after, cases)
            if len(got_before) == len(cases) and len(got_after) == len(cases):
                break
            time.sleep(0.5)
        print()

        saved = os.path.join(work, "bounces")
        missing = []
        for side, got in (("before", got_before), ("after", got_after)):
            os.makedirs(os.path.join(saved, side), exist_ok=True)
            for case in cases:
                if case in got:
                    with open(os.path.join(saved, side, f"{case.domain}.eml"), "wb") as f:
                        f.write(got[case])
                else:
                    missing.append(f"{side}: {case.recipient}")
        for case in cases:
            if case in got_before and case in got_after:
                side_by_side(f"{case.title}: {case.recipient}", got_before[case], got_after[case], width)
        rewritten = sum(1 for raw in got_after.values() if b"\nX-Clearbounce:" in raw.replace(b"\r\n", b"\n"))
        print(f"{rewritten} of {len(cases)} bounces rewritten by clearbounce-milter. "
              f"The raw messages are in {saved}/before and {saved}/after.")
        # The certificate case's cause, found by the milter's own look.
        diagnosed = b"category=tls.certificate_expired" in got_after.get(cases[1], b"").replace(b"\r\n", b"\n")
        if not diagnosed:
            print(f"The milter did not find the cause of the certificate failure; see its log "
                  f"({os.path.join(work, 'milter.log')} or journalctl -u clearbounce)", file=sys.stderr)
        if missing:
            print("No bounce arrived for: " + ", ".join(missing), file=sys.stderr)
            for postfix in instances:
                print(f"--- {postfix.maillog}\n{postfix.log_tail(20)}", file=sys.stderr)
            return 1
        return 0 if rewritten == len(cases) and diagnosed else 1
    finally:
        for postfix in instances:
            postfix.stop()
        for peer in peers:
            peer.close()


if __name__ == "__main__":
    sys.exit(main())

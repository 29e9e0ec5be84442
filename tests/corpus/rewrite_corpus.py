#!/usr/bin/env python3
"""Rewrites every delivery report of a corpus folder with `clearbounce rewrite`
and checks each result with the independent checker (tests/rewrite/check_rewrite.py).

    rewrite_corpus.py --cli PATH/TO/clearbounce --corpus DIR

A report must be rewritten when Python's own email parser sees a
multipart/report (delivery-status or global-delivery-status) with at least
two parts; reports whose MIME is broken (boundary never found, the report
only quoted as text) must pass unchanged, and are counted. The locales take
turns, so that every shipped catalogue goes through the checker.

Exit status: 0 when all is well, 1 on any failure, 77 when the corpus is absent.
"""

import argparse
import email
import email.policy
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "rewrite"))
import check_rewrite  # noqa: E402  (the independent checker)

LOCALES = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "ru", "ja", "zh-Hans"]


def multiparts(part):
    """The part and every multipart below it, not entering attached messages
    (a report inside a forwarded message belongs to that message)."""
    yield part
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
        for child in part.get_payload():
            yield from multiparts(child)


def structurally_a_report(data):
    """True when the email package finds a well-formed delivery report."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in multiparts(message):
        if part.get_content_type() != "multipart/report":
            continue
        if part.get_param("report-type", "").lower() not in ("delivery-status", "global-delivery-status"):
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and len(payload) >= 2 and not part.defects:
            return True
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--corpus", required=True)
    args = parser.parse_args()
    if not os.path.isdir(args.corpus):
        print(f"corpus not found at {args.corpus} (it sits beside the source tree in development checkouts only)")
        return 77

    rewritten = unchanged = failures = 0
    names = sorted(n for n in os.listdir(args.corpus) if n.endswith(".eml"))
    with tempfile.TemporaryDirectory() as scratch:
        for index, name in enumerate(names):
            path = os.path.join(args.corpus, name)
            with open(path, "rb") as f:
                original = f.read()
            if not structurally_a_report(original):
                continue
            locale = LOCALES[index % len(LOCALES)]
            run = subprocess.run([args.cli, "rewrite", "--locale", locale, path], capture_output=True)
            if run.returncode != 0:
                print(f"FAIL {name}: clearbounce rewrite exited {run.returncode}: {run.stderr.decode(errors='replace')}")
                failures += 1
                continue
            if run.stdout == original:
                print(f"FAIL {name}: a well-formed report was left unchanged: {run.stderr.decode(errors='replace').strip()}")
                unchanged += 1
                failures += 1
                continue
            out_path = os.path.join(scratch, name)
            with open(out_path, "wb") as f:
                f.write(run.stdout)
            problems = check_rewrite.check_pair(original, run.stdout)
            if problems:
                failures += 1
                for problem in problems:
                    print(f"FAIL {name} ({locale}): {problem}")
            else:
                rewritten += 1
    print(f"{rewritten} reports rewritten and checked, {unchanged} left unchanged, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

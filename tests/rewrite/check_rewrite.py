#!/usr/bin/env python3
"""Independent check of a clearbounce rewrite, using only Python's standard library.

    check_rewrite.py ORIGINAL REWRITTEN    check one pair of message files
    check_rewrite.py --self-test           check that the checker itself works

ORIGINAL is a delivery report (RFC 3464 multipart/report) as the MTA wrote it;
REWRITTEN is what clearbounce made of it (`clearbounce rewrite ORIGINAL`). The
pair passes when

  * both parse with Python's email package (compat32 policy), and the
    rewritten multipart/report has as many parts as the original's;
  * the rewritten report's first part is multipart/alternative holding a
    text/plain and a text/html part, both decodable as UTF-8;
  * every other part of the report (message/delivery-status,
    message/global-delivery-status, message/rfc822, message/global*,
    text/rfc822-headers, anything else) is byte-identical to the original.
    The bytes are cut out between the boundary lines by this script itself,
    not taken from the email package, whose re-serialisation would hide
    changes; the same goes for the report's preamble and for everything after
    the first part (the epilogue included);
  * every header field other than Subject and X-Clearbounce is byte-identical
    and in the same order, and X-Clearbounce occurs exactly once;
  * no line is longer than 998 bytes (RFC 5322), and the rewrite does not mix
    line endings where the original did not.

Exit status: 0 when the pair passes, 1 with one message per problem on stderr
otherwise, 2 for wrong usage.
"""

import email
import email.policy
import email.utils
import re
import sys

MAX_LINE = 998

# Parts that the rewrite must never touch (the architecture's list); other
# parts after the first are checked too, these only get a clearer message.
PROTECTED_TYPES = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/rfc822",
    "text/rfc822-headers",
}

HEADER_NAME = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")


class CheckError(Exception):
    """A reason why the pair does not pass."""


# ---- byte-level MIME splitting ---------------------------------------------


def lines_with_offsets(data):
    """Yields (start, content_end, next_start) for every line; content_end
    excludes the CR LF or LF."""
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        if nl < 0:
            yield pos, n, n
            return
        end = nl - 1 if nl > pos and data[nl - 1 : nl] == b"\r" else nl
        yield pos, end, nl + 1
        pos = nl + 1


class RawPart:
    """A MIME part as byte ranges of the file it came from."""

    def __init__(self, raw, offset=0, top_level=False):
        self.raw = raw
        self.top_level = top_level  # a whole message: may start with an mbox "From " line
        self.offset = offset  # where raw starts in the file
        self.body_offset = offset
        self.header = b""
        self.body = raw
        self.fields = []  # raw header fields, each with its line breaks
        self.content_type = "text/plain"
        self.params = {}
        self.transfer_encoding = "7bit"
        self.children = []
        self.preamble = b""
        self.after_children = b""  # from the delimiter after the last part to the end
        self._split_header()
        self._read_content_type()

    def _split_header(self):
        end = 0
        body_start = None
        current = None
        for start, content_end, nxt in lines_with_offsets(self.raw):
            if content_end == start:  # the blank line
                body_start = nxt
                break
            line = self.raw[start:nxt]
            if self.top_level and start == 0 and line.startswith(b"From "):
                pass  # mbox separator, kept in the header bytes
            elif line[:1] in (b" ", b"\t") and current is not None:
                current += line
                self.fields[-1] = current
            elif HEADER_NAME.match(line):
                current = line
                self.fields.append(current)
            else:  # text without a header section before it
                break
            end = nxt
        self.header = self.raw[:end]
        start = body_start if body_start is not None else end
        self.body = self.raw[start:]
        self.body_offset = self.offset + start

    def _read_content_type(self):
        # The email package reads the parameters (quoting, RFC 2231); the
        # bytes themselves are never taken from it.
        headers = email.message_from_bytes(self.header + b"\n", policy=email.policy.compat32)
        self.content_type = headers.get_content_type()
        for name in ("boundary", "report-type"):
            value = headers.get_param(name)
            if value is not None:
                self.params[name] = email.utils.collapse_rfc2231_value(value)
        self.transfer_encoding = str(headers.get("Content-Transfer-Encoding", "7bit")).strip().lower()
        if self.content_type.startswith("multipart/") and "boundary" in self.params:
            self._split_multipart(self.params["boundary"].encode("utf-8", "surrogateescape"))

    def _split_multipart(self, boundary):
        """RFC 2046 5.1.1: a part is the bytes between two delimiter lines; the
        line break before a delimiter belongs to the delimiter."""
        delimiter = re.compile(rb"--" + re.escape(boundary) + rb"(--)?[ \t]*\Z")
        body = self.body
        part_start = None
        for start, content_end, nxt in lines_with_offsets(body):
            match = delimiter.match(body[start:content_end])
            if not match:
                continue
            break_start = start
            if start > 0:
                break_start = start - 2 if body[start - 2 : start] == b"\r\n" else start - 1
            if part_start is None:
                self.preamble = body[:break_start]
            else:
                self.children.append(RawPart(body[part_start : max(break_start, part_start)], self.body_offset + part_start))
            self.after_children = body[break_start:]
            if match.group(1):
                return
            part_start = nxt
        if part_start is not None and part_start < len(body):
            self.children.append(RawPart(body[part_start:], self.body_offset + part_start))
            self.after_children = b""


def find_raw_report(part):
    """The first multipart/report, looking through multiparts only (a report
    inside an attached message belongs to that message)."""
    if part.content_type == "multipart/report":
        return part
    if part.content_type.startswith("multipart/"):
        for child in part.children:
            found = find_raw_report(child)
            if found is not None:
                return found
    return None


# ---- checks ---------------------------------------------------------------


def find_email_report(message):
    if message.get_content_type() == "multipart/report":
        return message
    if message.get_content_maintype() == "multipart" and isinstance(message.get_payload(), list):
        for child in message.get_payload():
            found = find_email_report(child)
            if found is not None:
                return found
    return None


def field_name(field):
    return field.split(b":", 1)[0].strip().lower()


def line_end_kinds(data):
    """Which line endings occur: 'crlf', 'lf' (bare), 'cr' (bare)."""
    kinds = set()
    if b"\r\n" in data:
        kinds.add("crlf")
    if re.search(rb"(?<!\r)\n", data):
        kinds.add("lf")
    if re.search(rb"\r(?!\n)", data):
        kinds.add("cr")
    return kinds


def without_mbox_line(data):
    """Drops a leading mbox "From " line, which is not part of the message."""
    if data.startswith(b"From "):
        end = data.find(b"\n")
        return data[end + 1:] if end >= 0 else b""
    return data


def check_pair(original, rewritten):
    """Returns the list of problems (empty when the pair passes)."""
    problems = []
    if original.startswith(b"From ") != rewritten.startswith(b"From "):
        problems.append("the mbox From line was not kept as it was")
    original, rewritten = without_mbox_line(original), without_mbox_line(rewritten)

    # The email package's view.
    try:
        email_original = email.message_from_bytes(original, policy=email.policy.compat32)
        email_rewritten = email.message_from_bytes(rewritten, policy=email.policy.compat32)
    except Exception as error:  # the package should never raise; if it does, that is the finding
        return ["the email package cannot parse the messages: %s" % error]
    email_report_before = find_email_report(email_original)
    email_report_after = find_email_report(email_rewritten)
    if email_report_before is None:
        return ["the original has no multipart/report"]
    if email_report_after is None:
        return ["the rewritten message has no multipart/report (email package)"]
    before_parts = email_report_before.get_payload()
    after_parts = email_report_after.get_payload()
    if not isinstance(after_parts, list) or len(after_parts) != len(before_parts):
        count = len(after_parts) if isinstance(after_parts, list) else 0
        problems.append("the rewritten report has %d parts, the original %d (email package)" % (count, len(before_parts)))
    elif after_parts:
        problems.extend(check_notification(after_parts[0]))

    # The bytes.
    raw_before = RawPart(original, top_level=True)
    raw_after = RawPart(rewritten, top_level=True)
    report_before = find_raw_report(raw_before)
    report_after = find_raw_report(raw_after)
    if report_before is None or report_after is None:
        problems.append("no multipart/report found by the byte-level splitter")
        return problems
    if len(report_after.children) != len(report_before.children):
        problems.append(
            "the rewritten report has %d parts between its boundaries, the original %d"
            % (len(report_after.children), len(report_before.children))
        )
    if report_after.preamble != report_before.preamble:
        problems.append("the report's preamble changed")
    for index, (before, after) in enumerate(zip(report_before.children[1:], report_after.children[1:]), start=2):
        if before.raw != after.raw:
            kind = before.content_type
            protected = kind in PROTECTED_TYPES or kind.startswith("message/global")
            problems.append(
                "report part %d (%s)%s is not byte-identical to the original"
                % (index, kind, ", a machine-readable part," if protected else "")
            )
    if report_before.children and report_after.children:
        if report_after.children[0].content_type != "multipart/alternative":
            problems.append("the report's first part is %s, not multipart/alternative" % report_after.children[0].content_type)
        tail_before = original[end_of(report_before.children[0]):]
        tail_after = rewritten[end_of(report_after.children[0]):]
        if tail_before != tail_after:
            problems.append("the bytes after the report's first part (other parts, epilogue) changed")

    problems.extend(check_headers(raw_before, raw_after))
    problems.extend(check_lines(original, rewritten))
    return problems


def end_of(part):
    """Where a part's bytes end in the file it was cut from."""
    return part.offset + len(part.raw)


def check_notification(first):
    problems = []
    if first.get_content_type() != "multipart/alternative":
        return ["the report's first part is %s, not multipart/alternative (email package)" % first.get_content_type()]
    alternatives = first.get_payload()
    kinds = [part.get_content_type() for part in alternatives]
    for wanted in ("text/plain", "text/html"):
        if wanted not in kinds:
            problems.append("the multipart/alternative has no %s part (it has %s)" % (wanted, ", ".join(kinds) or "none"))
    for part in alternatives:
        if part.get_content_type() not in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True)
        try:
            payload.decode("utf-8")
        except (UnicodeDecodeError, AttributeError):
            problems.append("the %s part does not decode as UTF-8" % part.get_content_type())
        charset = (part.get_content_charset() or "").lower()
        if charset not in ("utf-8", "us-ascii"):
            problems.append("the %s part declares charset %r" % (part.get_content_type(), charset))
    return problems


def check_headers(before, after):
    problems = []
    changed = (b"subject", b"x-clearbounce")
    kept_before = [field for field in before.fields if field_name(field) not in changed]
    kept_after = [field for field in after.fields if field_name(field) not in changed]
    if kept_before != kept_after:
        problems.append("header fields other than Subject and X-Clearbounce changed, moved or appeared")
    count = sum(1 for field in after.fields if field_name(field) == b"x-clearbounce")
    if count != 1:
        problems.append("X-Clearbounce occurs %d times in the header section, not once" % count)
    subjects = sum(1 for field in after.fields if field_name(field) == b"subject")
    if subjects > max(1, sum(1 for field in before.fields if field_name(field) == b"subject")):
        problems.append("the rewritten message has more Subject fields than it should")
    return problems


def check_lines(original, rewritten):
    problems = []
    for number, (start, content_end, _) in enumerate(lines_with_offsets(rewritten), start=1):
        if content_end - start > MAX_LINE:
            problems.append("line %d is %d bytes long (limit %d)" % (number, content_end - start, MAX_LINE))
            break
    new_kinds = line_end_kinds(rewritten) - line_end_kinds(original)
    if new_kinds:
        problems.append("the rewrite introduced line endings the original does not use: %s" % ", ".join(sorted(new_kinds)))
    return problems


# ---- self-test --------------------------------------------------------------

SELF_TEST_ORIGINAL = (
    b"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"To: sender@example.com\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
    b"\tboundary=\"B1/mx.example.com\"\r\n"
    b"\r\n"
    b"This is a MIME-encapsulated message.\r\n"
    b"\r\n"
    b"--B1/mx.example.com\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Your message could not be delivered.\r\n"
    b"\r\n"
    b"--B1/mx.example.com\r\n"
    b"Content-Type: message/delivery-status\r\n"
    b"\r\n"
    b"Reporting-MTA: dns; mx.example.com\r\n"
    b"\r\n"
    b"Final-Recipient: rfc822; user@example.net\r\n"
    b"Action: failed\r\n"
    b"Status: 5.1.1\r\n"
    b"\r\n"
    b"--B1/mx.example.com\r\n"
    b"Content-Type: text/rfc822-headers\r\n"
    b"\r\n"
    b"From: sender@example.com\r\n"
    b"To: user@example.net\r\n"
    b"Subject: Hello\r\n"
    b"\r\n"
    b"--B1/mx.example.com--\r\n"
)

SELF_TEST_NOTIFICATION = (
    b"Content-Type: multipart/alternative;\r\n"
    b" boundary=\"=_selftest\"\r\n"
    b"\r\n"
    b"--=_selftest\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Zustellung fehlgeschlagen: Gr=C3=BC=C3=9Fe\r\n"
    b"--=_selftest\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"PHA+R3LDvMOfZTwvcD4=\r\n"
    b"--=_selftest--"
)


def self_test_rewritten():
    original = SELF_TEST_ORIGINAL
    first_start = original.index(b"Content-Type: text/plain")
    first_end = original.index(b"\r\n--B1/mx.example.com\r\nContent-Type: message/delivery-status")
    rewritten = original[:first_start] + SELF_TEST_NOTIFICATION + original[first_end:]
    rewritten = rewritten.replace(
        b"Subject: Undelivered Mail Returned to Sender\r\n",
        b"Subject: =?UTF-8?Q?Zustellung_fehlgeschlagen=3A_Gr=C3=BC=C3=9Fe?=\r\n",
    )
    return rewritten.replace(
        b"\r\n\r\nThis is a MIME", b"\r\nX-Clearbounce: category=unknown_user; locale=de\r\n\r\nThis is a MIME", 1
    )


def self_test():
    """Runs the checker on a correct pair and on broken variants of it; every
    verdict must be the expected one."""
    good = self_test_rewritten()
    status_line = b"Status: 5.1.1"
    variants = [
        ("correct pair", good, True),
        ("one byte changed in the delivery-status part", good.replace(status_line, b"Status: 5.1.2"), False),
        ("one byte changed in the rfc822-headers part", good.replace(b"Subject: Hello", b"Subject: Hellp"), False),
        ("no X-Clearbounce", good.replace(b"X-Clearbounce: category=unknown_user; locale=de\r\n", b""), False),
        ("a changed header", good.replace(b"To: sender@example.com", b"To: other@example.com", 1), False),
        ("a 999-byte line", good.replace(b"Zustellung fehlgeschlagen", b"x" * 999, 1), False),
        ("a bare LF in the new part", good.replace(b"Gr=C3=BC=C3=9Fe\r\n", b"Gr=C3=BC=C3=9Fe\n"), False),
        ("the old text/plain kept", SELF_TEST_ORIGINAL.replace(b"To: sender", b"X-Clearbounce: x\r\nTo: sender"), False),
        ("a dropped part", good.replace(good[good.index(b"--B1/mx.example.com\r\nContent-Type: text/rfc822"):], b"--B1/mx.example.com--\r\n"), False),
        ("HTML that is not UTF-8", good.replace(b"PHA+R3LDvMOfZTwvcD4=", b"PHA+R3L8/GU8L3A+"), False),
    ]
    failures = 0
    for name, rewritten, should_pass in variants:
        if rewritten == good and not should_pass:
            print("self-test: variant %r did not change anything" % name, file=sys.stderr)
            failures += 1
            continue
        problems = check_pair(SELF_TEST_ORIGINAL, rewritten)
        passed = not problems
        verdict = "ok" if passed == should_pass else "WRONG"
        print("self-test: %-48s %s%s" % (name, verdict, "" if passed else " (" + "; ".join(problems) + ")"))
        if passed != should_pass:
            failures += 1
    if failures:
        print("self-test: %d verdict(s) wrong" % failures, file=sys.stderr)
        return 1
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 3 or argv[1].startswith("-"):
        print("usage: check_rewrite.py ORIGINAL REWRITTEN | --self-test", file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as handle:
            original = handle.read()
        with open(argv[2], "rb") as handle:
            rewritten = handle.read()
    except OSError as error:
        print("check_rewrite: %s" % error, file=sys.stderr)
        return 1
    problems = check_pair(original, rewritten)
    for problem in problems:
        print("%s: %s" % (argv[2], problem), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Byte-wise access to the parts of a delivery report (Python standard library only).

The machine-readable parts are compared as the exact bytes between the MIME
boundaries (part headers included), never after a parse and re-serialisation.
"""

import email
import email.policy
import re

MACHINE_TYPES = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/rfc822",
    "message/global",
    "text/rfc822-headers",
    "message/global-headers",
}


def split_head(raw):
    """(header bytes, body bytes) of a message or part; LF or CRLF line ends."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0 and (b"\n\n" not in raw[:at] if sep == b"\r\n\r\n" else True):
            return raw[: at + len(sep)], raw[at + len(sep):]
    return raw, b""


def content_type(head):
    msg = email.message_from_bytes(head, policy=email.policy.compat32)
    return msg.get_content_type(), msg.get_param("boundary"), msg


def body_parts(raw):
    """[(content type, part bytes)] of a multipart message's top level, each part
    exactly as between its delimiter line and the line end before the next one."""
    head, body = split_head(raw)
    ctype, boundary, _ = content_type(head)
    if not ctype.startswith("multipart/") or not boundary:
        return []
    delim = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary.encode()) + rb"(--)?[ \t]*(\r?\n|$)")
    parts = []
    matches = list(delim.finditer(body))
    for this, following in zip(matches, matches[1:]):
        if this.group(1):  # closing delimiter
            break
        part = body[this.end(): following.start()]
        part_head, _ = split_head(part)
        parts.append((content_type(part_head)[0], part))
    return parts


def machine_parts(raw):
    return [(ctype, part) for ctype, part in body_parts(raw) if ctype in MACHINE_TYPES]


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def report_fields(raw):
    """Per-recipient fields of the message/delivery-status part: a list of dicts
    with lower-case keys (final-recipient, action, status, diagnostic-code...)."""
    for ctype, part in body_parts(raw):
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            _, text = split_head(part)
            text = text.decode("utf-8", "replace").replace("\r\n", "\n")
            groups = [g for g in re.split(r"\n\s*\n", text.strip("\n")) if g.strip()]
            out = []
            for group in groups[1:]:
                fields = {}
                key = None
                for line in group.split("\n"):
                    if line[:1] in (" ", "\t") and key:
                        fields[key] += " " + line.strip()
                    elif ":" in line:
                        key, value = line.split(":", 1)
                        key = key.strip().lower()
                        fields[key] = value.strip()
                out.append(fields)
            return out
    return []


def clearbounce_fields(raw):
    """Every item of X-Clearbounce as a dict, or None when there is none."""
    value = parse(raw).get("X-Clearbounce")
    if value is None:
        return None
    out = {}
    for item in str(value).split(";"):
        if "=" in item:
            k, v = item.split("=", 1)
            out[k.strip().lower()] = "".join(v.split())
    return out


def clearbounce_header(raw):
    """{'category': ..., 'locale': ...} (and 'forged': 'yes' when present) from
    X-Clearbounce, or None. The MAC (mac=, a different one under every key)
    is left out: clearbounce_fields() has it."""
    fields = clearbounce_fields(raw)
    if fields is not None:
        fields.pop("mac", None)
    return fields


def notice_text(raw):
    """The text/plain of the notification clearbounce wrote (the
    multipart/alternative it puts first), decoded; '' when there is none."""
    for part in parse(raw).walk():
        if part.get_content_type() == "multipart/alternative":
            for alternative in part.get_payload():
                if alternative.get_content_type() == "text/plain":
                    return alternative.get_payload(decode=True).decode("utf-8", "replace")
    return ""


def mime_defects(raw):
    """Defects Python's MIME parser finds anywhere in the message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    found = []
    for part in msg.walk():
        for defect in part.defects:
            found.append(f"{part.get_content_type()}: {type(defect).__name__}")
    return found


# Tokens that differ between two runs of the same case (queue ids, clock).
_DATE = re.compile(rb"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), +)?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                   rb" \d{4} \d\d:\d\d:\d\d [+-]\d{4}(?: \([A-Za-z0-9+-]+\))?")
_QUEUE_ID_FIELD = re.compile(rb"(?:X-Postfix-Queue-ID: |\bid |queue ID: )([0-9A-Za-z]{6,20})\b")


def mask_volatile(data):
    """Replaces the tokens that cannot repeat between two runs: Postfix queue
    ids (wherever they occur) and RFC 5322 date-times. Nothing else."""
    ids = set(m.group(1) for m in _QUEUE_ID_FIELD.finditer(data))
    for qid in sorted(ids, key=len, reverse=True):
        data = data.replace(qid, b"<QUEUE-ID>")
    return _DATE.sub(b"<DATE>", data)

#!/usr/bin/env python3
"""Turns the man page sources in man/*.md into roff (Python standard library only).

The sources are a small, fixed subset of Markdown, so that they read well as
they are and need no converter outside this repository (see man/README.md):

  # name(section) -- one-line summary     the title line, first in the file
  ## HEADING                              a section (.SH)
  ### Heading                             a subsection (.SS)
  a paragraph                             lines up to the next blank line
      indented by four spaces             an example, printed as written
  - an item                               a bulleted list item (.IP)
  term                                    a definition (.TP): the term line,
  : its description                       then ": " and the description
  @config-keys FILE                       the keys of the commented TOML file
                                          FILE (config/clearbounce.toml), so
                                          that clearbounce.toml(5) never
                                          differs from the shipped file
  <!-- a comment -->                      left out

Inline: `literal` is bold (commands, options, file names, values, typed as
shown), *word* is italic (something to replace), **word** is bold.

    mdroff.py [--version V] [--root DIR] [--gzip] SOURCE OUTPUT

writes OUTPUT (gzip-compressed with --gzip, reproducibly: no name, no time).
"""

import argparse
import gzip
import os
import re
import sys


class SourceError(Exception):
    pass


# --- inline text -----------------------------------------------------------

def escape(text):
    """Roff escapes for running text: backslashes, and quotes where roff would see a request."""
    return text.replace("\\", "\\e")


def literal(text):
    """Text typed as shown: hyphens must stay ASCII hyphen-minus when copied."""
    return escape(text).replace("-", "\\-")


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*")


def inline(text):
    out = []
    last = 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[last:m.start()]))
        if m.group(1) is not None:
            out.append("\\fB" + literal(m.group(1)) + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + escape(m.group(2)) + "\\fR")
        else:
            out.append("\\fI" + escape(m.group(3)) + "\\fR")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def text_lines(lines):
    """Lines of filled text; a line that would start with . or ' is protected."""
    out = []
    for line in lines:
        line = inline(line.strip())
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return out


def example(lines):
    out = [".PP", ".RS 4", ".nf"]
    for line in lines:
        line = literal(line)
        out.append("\\&" + line if line.startswith((".", "'")) else line)
    out += [".fi", ".RE"]
    return out


# --- the commented TOML file -------------------------------------------------

_TABLE = re.compile(r"^\[([A-Za-z0-9_.]+)\]\s*$")
_KEY = re.compile(r"^#(\[[A-Za-z0-9_.\"-]+\]|[A-Za-z0-9_\"][^=]*=.*)$")


def config_keys(path):
    """Roff for every table and key of a TOML file written the way
    config/clearbounce.toml is: a comment paragraph ("# text") above each key,
    and the key itself commented out with its default ("#key = value")."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    table = None
    comment = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if m := _TABLE.match(line):
            table = m.group(1)
            out += [".SS [" + table + "]"]
            comment = []
        elif line.startswith("# ") or line == "#":
            comment.append(line[2:])
        elif _KEY.match(line) and table is not None:
            keys = [line[1:]]
            while i < len(lines) and _KEY.match(lines[i]):
                keys.append(lines[i][1:])
                i += 1
            out.append(".TP")
            if keys[0].startswith("["):
                # A commented-out subtable: its name, then its example entries.
                out.append("\\fB" + literal(keys[0]) + "\\fR")
                out += text_lines(comment)
                out += [".RS", ".nf"] + [literal(k) for k in keys] + [".fi", ".RE"]
            else:
                name, _, default = keys[0].partition("=")
                out.append("\\fB" + literal(name.strip()) + "\\fR = " + literal(default.strip()))
                out += text_lines(comment)
            comment = []
        elif not line.strip():
            if comment and table is not None:
                # A paragraph about the table itself, not followed by a key.
                out += [".PP"] + text_lines(comment)
            comment = []
        else:
            raise SourceError(f"{path}:{i}: not a table, comment or commented-out key: {line}")
    if not out:
        raise SourceError(f"{path}: no tables found")
    return out


# --- blocks ----------------------------------------------------------------

def convert(source, version, root):
    with open(source, encoding="utf-8") as f:
        lines = f.read().splitlines()
    # Comments go first, whole lines only, so they can span several.
    text = re.sub(r"<!--.*?-->\n?", "", "\n".join(lines) + "\n", flags=re.S)
    lines = text.splitlines()

    title = re.match(r"^# ([A-Za-z0-9_.+-]+)\((\d)\) -- (.+)$", lines[0] if lines else "")
    if not title:
        raise SourceError(f"{source}:1: the first line must be '# name(section) -- summary'")
    name, section, summary = title.groups()
    out = [
        f'.\\" Generated from {os.path.basename(source)} by man/mdroff.py: edit that file, not this one.',
        f'.TH "{name.upper()}" "{section}" "" "clearbounce {version}" "clearbounce"',
        # Left-aligned and unhyphenated: paths and options stay whole and copyable.
        ".ad l",
        ".nh",
        ".SH NAME",
        f"{literal(name)} \\- {escape(summary)}",
    ]

    i = 1
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("### "):
            out.append(".SS " + inline(line[4:].strip()))
            i += 1
        elif line.startswith("## "):
            out.append(".SH " + escape(line[3:].strip().upper()))
            i += 1
        elif line.startswith("@config-keys "):
            out += config_keys(os.path.join(root, line.split(None, 1)[1].strip()))
            i += 1
        elif line.startswith("    "):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += example(block)
        elif line.startswith("- "):
            item = [line[2:]]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and not lines[i].startswith("    "):
                item.append(lines[i])
                i += 1
            out += [".IP \\(bu 2"] + text_lines(item)
        elif i + 1 < len(lines) and lines[i + 1].startswith(": "):
            out += [".TP", inline(line.strip())]
            body = [lines[i + 1][2:]]
            i += 2
            while i < len(lines) and lines[i].strip() and not lines[i].startswith((": ", "    ", "#")) \
                    and not (i + 1 < len(lines) and lines[i + 1].startswith(": ")):
                body.append(lines[i])
                i += 1
            out += text_lines(body)
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "    ", "- ", "@")):
                para.append(lines[i])
                i += 1
            out += [".PP"] + text_lines(para)
    return "\n".join(out) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description="Markdown subset to roff for clearbounce's man pages.")
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--version", default="", help="program version shown in the page footer")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                        help="the repository, for @config-keys paths (default: this script's parent)")
    parser.add_argument("--gzip", action="store_true", help="compress the output (mtime 0, no file name)")
    args = parser.parse_args(argv)
    try:
        roff = convert(args.source, args.version, args.root).encode("utf-8")
    except (SourceError, OSError) as error:
        print(f"mdroff.py: {error}", file=sys.stderr)
        return 1
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        if args.gzip:
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as z:
                z.write(roff)
        else:
            f.write(roff)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

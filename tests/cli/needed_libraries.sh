#!/bin/sh
# needed_libraries.sh PROGRAM ALLOWED_REGEX: fails when PROGRAM needs a
# shared library whose name ALLOWED_REGEX (an extended regex) does not match.
set -u
program=$1
allowed=$2
needed=$(readelf -d "$program" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p') || exit 1
if [ -z "$needed" ]; then
  echo "needed_libraries.sh: readelf lists no shared library for $program" >&2
  exit 1
fi
unexpected=$(printf '%s\n' "$needed" | grep -Ev "^($allowed)\$")
if [ -n "$unexpected" ]; then
  echo "$program needs shared libraries it should have linked statically:" >&2
  printf '  %s\n' $unexpected >&2
  exit 1
fi
echo "$program needs only: $(echo $needed)"

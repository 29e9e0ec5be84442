#!/bin/sh
# Output that cannot be written (a full device) is the run's failure, said
# on stderr, whatever the command: the process flushes what it wrote
# before it ends (cli/main.cpp), and a write that fails there must not
# look like success.
# Usage: unwritable_output.sh CLEARBOUNCE SAMPLE.eml
set -u
cli=$1
sample=$2
[ -w /dev/full ] || { echo "no /dev/full here"; exit 77; }
failed=0
for args in "--help" "classify --json $sample" "classify $sample" "--version"; do
  # shellcheck disable=SC2086
  "$cli" $args > /dev/full 2> stderr.txt
  code=$?
  if [ "$code" -eq 0 ]; then
    echo "FAIL: clearbounce $args > /dev/full exited 0"
    failed=1
  elif ! grep -q "could not write" stderr.txt; then
    echo "FAIL: clearbounce $args > /dev/full said nothing of it:"; cat stderr.txt
    failed=1
  fi
  # The same run to a file writes everything and succeeds.
  # shellcheck disable=SC2086
  "$cli" $args > out.txt 2> /dev/null || { echo "FAIL: clearbounce $args exited $?"; failed=1; }
  [ -s out.txt ] || { echo "FAIL: clearbounce $args wrote nothing"; failed=1; }
done
exit $failed

#!/bin/sh
# install-checked.sh STAGED LIVE TEST_COMMAND...
# Puts salt's STAGED copy of an nginx file in place as LIVE only if nginx's
# test accepts the result; otherwise LIVE goes back to what it was (or away,
# if it is new) and this fails with nginx's message. A file nginx refuses is
# never left where the next reload, or switchyard's next switch, would trip
# over it. LIVE's temporary and previous copies are named so that nginx's
# `*.conf` includes do not match them.
set -eu
staged=$1
live=$2
shift 2
if [ -e "$live" ] && cmp -s "$staged" "$live"; then exit 0; fi
previous="$live.switchyard-previous"
rm -f "$previous"
if [ -e "$live" ]; then cp -p "$live" "$previous"; fi
cp -p "$staged" "$live.switchyard-new"
mv -f "$live.switchyard-new" "$live"
if "$@"; then
  rm -f "$previous"
  exit 0
fi
if [ -e "$previous" ]; then mv -f "$previous" "$live"; else rm -f "$live"; fi
echo "install-checked: nginx refused $staged; $live is back as it was" >&2
exit 1

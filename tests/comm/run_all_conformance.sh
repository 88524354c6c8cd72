#!/bin/bash
# run_all_conformance.sh WORKER PROGRAM JUNIT_DIR: the conformance suite on
# every backend this build has, as `itwin-worker backends --json` reports them
# (the backend catalog: no list of names here): local and nccl on 1 rank, the
# others on 2 and 3 ranks, gloo also through a TCP store. One JUnit file per
# run; exit 1 if any run failed (a skipped one, exit 77, is not a failure).
set -u
WORKER=$1 PROG=$2 JUNIT=$3
here=$(dirname "$0")
mapfile -t built < <("$WORKER" backends --json | python3 -c 'import json, sys
for name, b in json.load(sys.stdin)["backends"].items():
    if b["built"]: print(name)')
[ ${#built[@]} -gt 0 ] || { echo "no backends reported by $WORKER"; exit 1; }
failed=0
run() {  # run NAME BACKEND RANKS [tcp]
  echo "== conformance $1"
  "$here/run_conformance.sh" "$2" "$3" "$PROG" "$JUNIT/$1.xml" "${4:-file}"
  rc=$?
  case $rc in
    0) ;;
    77) echo "   skipped" ;;
    *) echo "   FAILED (exit $rc)"; failed=1 ;;
  esac
}
for b in "${built[@]}"; do
  case $b in
    local|nccl) run "comm-$b-1" "$b" 1 ;;
    *) for n in 2 3; do run "comm-$b-$n" "$b" "$n"; done ;;
  esac
  [ "$b" = gloo ] && run comm-gloo-tcp-2 gloo 2 tcp
done
exit $failed

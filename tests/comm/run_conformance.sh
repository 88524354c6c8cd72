#!/bin/bash
# run_conformance.sh BACKEND NRANKS PROGRAM JUNIT [tcp]
# Runs the conformance program on NRANKS real ranks (mpirun, oversubscribed).
# Rank 0 writes JUnit; the other ranks' failures fail the job (exit code).
# Exit 77 (skipped) when the backend cannot run here (nccl without a GPU).
set -u
B=$1 N=$2 PROG=$3 JUNIT=$4 STORE=${5:-file}
if [ "$B" = nccl ] && ! nvidia-smi -L >/dev/null 2>&1; then echo "no GPU: nccl conformance skipped"; exit 77; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
RDZV="file:$dir/store"
if [ "$STORE" = tcp ]; then  # a free loopback port for the TCP store
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  RDZV="tcp:127.0.0.1:$port"
fi
export ITWIN_TEST_BACKEND=$B ITWIN_TEST_RENDEZVOUS="$RDZV" OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
timeout -k 5 300 mpirun -np "$N" --oversubscribe --bind-to none bash -c '
  if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then exec "$0" -r junit -o "$1"; else exec "$0" > "$2/rank-$OMPI_COMM_WORLD_RANK.log" 2>&1; fi
' "$PROG" "$JUNIT" "$dir"
rc=$?
for f in "$dir"/rank-*.log; do [ -f "$f" ] && [ $rc -ne 0 ] && { echo "== $f"; tail -30 "$f"; }; done
exit $rc

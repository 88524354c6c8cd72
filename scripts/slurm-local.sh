#!/bin/bash
# Throw-away single-host SLURM cluster for integration tests (Debian 12, slurm-wlm 22.05.8, run as root).
#   slurm-local.sh start [NNODES]   NNODES=1 -> NodeName=localhost; NNODES>1 -> multiple-slurmd n[1-N] on this host
#   slurm-local.sh stop             SIGTERM exactly the pids this script started, wait for them
#   eval "$(slurm-local.sh env)"    exports SLURM_CONF for sbatch/srun/squeue/sinfo/sacct -c
# Everything (conf, state, spool, logs, munge socket/key) lives in $SLURM_LOCAL_DIR (default $TMPDIR/itwin-slurm).
set -euo pipefail
R=${SLURM_LOCAL_DIR:-${TMPDIR:-/tmp}/itwin-slurm}
CONF=$R/etc/slurm.conf
cmd=${1:-}

gen_conf() {
  local n=$1 cpus mem
  cpus=$(getconf _NPROCESSORS_ONLN)   # not nproc: GNU nproc honours OMP_NUM_THREADS
  mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 2048 ))
  # slurmd -C prints the real topology; use it to avoid "Node reconfigured socket/core boundaries"
  local topo
  topo=$(slurmd -C | head -1 | grep -oE 'Boards=[0-9]+ SocketsPerBoard=[0-9]+ CoresPerSocket=[0-9]+ ThreadsPerCore=[0-9]+')
  mkdir -p "$R"/etc "$R"/state "$R"/log
  cat > "$CONF" <<CONF
ClusterName=itwin
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$R/munge.socket
StateSaveLocation=$R/state
SlurmdSpoolDir=$R/spool/%n
TmpFS=$R/tmp/%n
SlurmctldPidFile=$R/slurmctld.pid
SlurmdPidFile=$R/slurmd-%n.pid
SlurmctldLogFile=$R/log/slurmctld.log
SlurmdLogFile=$R/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SchedulerType=sched/backfill
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$R/jobcomp.txt
MinJobAge=600
MailProg=/bin/true
CONF
  if [ "$n" -eq 1 ]; then
    NODES=(localhost)
    echo "NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus $topo RealMemory=$mem State=UNKNOWN" >> "$CONF"
  else
    NODES=(); for i in $(seq 1 "$n"); do NODES+=("n$i"); done
    echo "NodeName=n[1-$n] NodeHostname=localhost NodeAddr=127.0.0.1 Port=[17001-$((17000+n))] CPUs=$cpus $topo RealMemory=$((mem/n)) State=UNKNOWN" >> "$CONF"
  fi
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES" >> "$CONF"
  for nd in "${NODES[@]}"; do mkdir -p "$R/spool/$nd" "$R/tmp/$nd"; done
}

start_bg() {  # start_bg NAME CMD...  -> runs CMD in foreground mode in background, records its pid
  local name=$1; shift
  "$@" > "$R/log/$name.out" 2>&1 &
  echo $! > "$R/$name.fgpid"
}

case "$cmd" in
  start)
    n=${2:-1}
    [ -e "$R/started" ] && { echo "already started ($R)"; exit 1; }
    rm -rf "$R"; mkdir -p "$R/log"
    gen_conf "$n"
    if [ -r /etc/munge/munge.key ]; then install -m 0600 /etc/munge/munge.key "$R/munge.key"
    else (umask 077; dd if=/dev/urandom of="$R/munge.key" bs=1024 count=1 status=none); fi
    export SLURM_CONF=$CONF
    start_bg munged /usr/sbin/munged -F --socket="$R/munge.socket" --key-file="$R/munge.key" \
      --pid-file="$R/munged.pid" --log-file="$R/log/munged.log" --seed-file="$R/munged.seed"
    for _ in $(seq 1 50); do [ -S "$R/munge.socket" ] && break; sleep 0.1; done
    start_bg slurmctld /usr/sbin/slurmctld -D -c
    for nd in "${NODES[@]}"; do start_bg "slurmd-$nd" /usr/sbin/slurmd -D -N "$nd"; done
    touch "$R/started"
    deadline=$((SECONDS + 60))
    while [ $SECONDS -lt $deadline ]; do
      idle=$(timeout 5 sinfo -h -N -o '%t' 2>/dev/null | grep -c '^idle' || true)
      [ "$idle" -eq "${#NODES[@]}" ] && { echo "slurm up: ${#NODES[@]} node(s) idle"; sinfo; exit 0; }
      sleep 0.2
    done
    echo "slurm did not come up; logs:"; tail -n 20 "$R"/log/*; exit 1
    ;;
  stop)
    [ -d "$R" ] || exit 0
    export SLURM_CONF=$CONF
    if [ -e "$R/started" ]; then   # cancel leftover jobs so no slurmstepd outlives slurmd
      timeout 10 scancel --full --quiet --user=root 2>/dev/null || true
      for _ in $(seq 1 50); do [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    fi
    pids=()
    for f in "$R"/slurmd-*.fgpid "$R"/slurmctld.fgpid "$R"/munged.fgpid; do
      [ -f "$f" ] || continue
      p=$(cat "$f"); kill -TERM "$p" 2>/dev/null && pids+=("$p"); rm -f "$f"
    done
    for p in "${pids[@]}"; do
      for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$p" 2>/dev/null && { echo "pid $p ignored SIGTERM, sending SIGKILL"; kill -KILL "$p"; }
    done
    rm -f "$R/started"
    echo "slurm stopped (${#pids[@]} daemons)"
    ;;
  env)
    echo "export SLURM_CONF=$CONF"
    ;;
  *) echo "usage: $0 start [NNODES] | stop | env"; exit 2 ;;
esac

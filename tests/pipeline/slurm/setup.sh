#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine, for tests/pipeline/test_slurm.py.
#
#   tests/pipeline/slurm/setup.sh [STATE_DIR]             (as root; default: /tmp/emgmm-slurm)
#   sbatch, squeue, snakemake --profile profiles/slurm ... (no SLURM_CONF needed)
#   ...
#   tests/pipeline/slurm/teardown.sh [STATE_DIR]
#
# Installs Debian's `slurm-wlm` and `munge` with apt if slurmctld is missing,
# writes STATE_DIR/slurm.conf for this host (one node on 127.0.0.1 with the
# CPUs `slurmd -C` finds and 90% of its memory, one partition `main`, no
# accounting database: jobs are followed with `squeue`, so MinJobAge is long),
# starts munged (unless one already answers), slurmctld and slurmd in the
# foreground of background processes, writes the pids it started to
# STATE_DIR/pids and waits until `sinfo` shows the node idle. /etc/slurm is
# left alone. slurmd runs "configless": it fetches slurm.conf from slurmctld
# and links it at /run/slurm/conf, where sbatch, squeue and srun look when
# SLURM_CONF is unset. That matters: the executor's job step
# (snakemake-executor-plugin-slurm-jobstep 0.6) removes SLURM_* variables,
# SLURM_CONF included, before it calls srun inside the job.
# Needs root (slurmd runs jobs as their users; SlurmUser=root).
set -euo pipefail

state=${1:-/tmp/emgmm-slurm}
state=$(mkdir -p "$state" && cd "$state" && pwd)
conf=$state/slurm.conf
log() { echo "tests/pipeline/slurm/setup.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (slurmd and munged need it)"
    exit 1
fi
if [ -s "$state/pids" ]; then
    log "$state/pids exists: a cluster from this directory may still run; stop it with tests/pipeline/slurm/teardown.sh $state"
    exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >"$state/apt.log" 2>&1
    apt-get install -y -q --no-install-recommends slurm-wlm munge >>"$state/apt.log" 2>&1 || {
        tail -20 "$state/apt.log" >&2
        exit 1
    }
fi

for port in 6817 6818; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        log "port $port is in use: another Slurm daemon runs here; stop it first"
        exit 1
    fi
done

host=$(hostname -s)
mkdir -p "$state/ctld" "$state/spool" "$state/log"
: >"$state/pids"

# The node as slurmd sees it (CPUs, sockets, cores, threads), with 90% of its
# memory so that jobs asking for more than the machine has are refused.
node=$(slurmd -C | head -n 1)
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
mem=$((mem * 9 / 10))
layout=$(grep -o 'CPUs=[0-9]* Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' <<<"$node")

cat >"$conf" <<CONF
# Written by tests/pipeline/slurm/setup.sh: a one-node cluster on loopback.
ClusterName=emgmm
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# slurmd fetches this file from slurmctld and caches it where srun inside a
# job finds it (/run/slurm/conf)
SlurmctldParameters=enable_configless
# No accounting database: sacct cannot answer, so Snakemake's executor
# polls squeue, which shows finished jobs for MinJobAge seconds.
MinJobAge=600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 $layout RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf

# munged: reuse one that answers, otherwise start our own.
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "munged already running; using it"
else
    if [ ! -s /etc/munge/munge.key ]; then
        mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    fi
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    setsid munged --foreground --force >"$state/log/munged.out" 2>&1 </dev/null &
    echo "munged $!" >>"$state/pids"
    for _ in $(seq 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.2
    done
    munge -n | unmunge >/dev/null
fi

setsid slurmctld -D -c -f "$conf" >"$state/log/slurmctld.out" 2>&1 </dev/null &
echo "slurmctld $!" >>"$state/pids"
setsid slurmd -D --conf-server 127.0.0.1:6817 >"$state/log/slurmd.out" 2>&1 </dev/null &
echo "slurmd $!" >>"$state/pids"

for _ in $(seq 60); do
    if [ "$(sinfo -h -N -o %t 2>/dev/null)" = idle ]; then
        log "node $host idle ($layout RealMemory=$mem); config $conf, also at /run/slurm/conf"
        exit 0
    fi
    sleep 1
done
log "the node did not become idle within 60 s; sinfo says:"
sinfo -N -l >&2 || true
tail -5 "$state/log/"*.log "$state/log/"*.out >&2 || true
exit 1

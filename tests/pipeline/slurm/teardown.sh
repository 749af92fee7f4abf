#!/usr/bin/env bash
# Stop the cluster tests/pipeline/slurm/setup.sh started: cancel its jobs, then stop
# the daemons it started (by the pids in STATE_DIR/pids, nothing else).
#
#   tests/pipeline/slurm/teardown.sh [STATE_DIR]          (default: /tmp/emgmm-slurm)
set -uo pipefail

state=${1:-/tmp/emgmm-slurm}
pids=$state/pids
if [ ! -s "$pids" ]; then
    echo "tests/pipeline/slurm/teardown.sh: no $pids; nothing to stop" >&2
    exit 0
fi
export SLURM_CONF=$state/slurm.conf
scancel --full --quiet --user "$(id -un)" 2>/dev/null || true

# Stop in reverse start order: slurmd, slurmctld, then munged.
tac "$pids" | while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "tests/pipeline/slurm/teardown.sh: $name ($pid) ignored SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
done
rm -f "$pids"
# slurmd (configless) links /run/slurm/conf to its cache in STATE_DIR.
if [ "$(readlink /run/slurm/conf 2>/dev/null)" = "$state/spool/conf-cache" ]; then
    rm -f /run/slurm/conf
fi

#!/usr/bin/env bash
# Stop what .ci/slurm/start.sh started: cancel remaining jobs, then end the daemons it recorded
# (by pid file), and wait until they are gone. Does nothing when start.sh started nothing.
set -uo pipefail

STATE=${LUNGTRACK_SLURM_STATE:-/var/tmp/lungtrack-slurm}
# One start or stop at a time (parallel test workers).
mkdir -p /run/lock
exec 9>/run/lock/lungtrack-slurm.lock
flock 9
[ -f "$STATE/started" ] || exit 0

scancel --full --quiet --user root 2>/dev/null
# Reverse order: slurmd, slurmctld, then munged (the daemons authenticate through it).
for pidfile in $(tac "$STATE/started"); do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
done
rm -f "$STATE/started"
echo "stop.sh: SLURM daemons stopped"

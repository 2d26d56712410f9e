#!/usr/bin/env bash
# Configure and start a one-node SLURM on this machine (munged, slurmctld, slurmd as root) and wait
# until its node takes jobs. Idempotent: a cluster that already answers is left as it is.
# The config goes to /etc/slurm/slurm.conf (job steps read it there); state and daemon logs to
# $LUNGTRACK_SLURM_STATE (default /var/tmp/lungtrack-slurm). Stop with .ci/slurm/stop.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${LUNGTRACK_SLURM_STATE:-/var/tmp/lungtrack-slurm}
CONF=/etc/slurm/slurm.conf
# One start or stop at a time (parallel test workers).
mkdir -p /run/lock
exec 9>/run/lock/lungtrack-slurm.lock
flock 9

for bin in munged slurmctld slurmd sinfo; do
    command -v "$bin" >/dev/null || { echo "start.sh: $bin not found; run .ci/slurm/install.sh" >&2; exit 1; }
done

if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "start.sh: SLURM already running: $(sinfo -h -o '%P %D %T')"
    exit 0
fi

mkdir -p "$STATE/ctld" "$STATE/d" "$STATE/munge" /etc/slurm /run/munge
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM_MB@|$mem_mb|g" -e "s|@STATE@|$STATE|g" \
    "$HERE/slurm.conf.in" > "$CONF"

if ! pgrep -x munged >/dev/null; then
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chmod 400 /etc/munge/munge.key
    fi
    munged --force --pid-file "$STATE/munge/munged.pid" --socket /run/munge/munge.socket.2 \
        --log-file "$STATE/munge/munged.log" --seed-file "$STATE/munge/munged.seed" 9>&-
    echo "$STATE/munge/munged.pid" > "$STATE/started"
else
    : > "$STATE/started"
fi

# 9>&-: the daemons must not inherit (and so hold forever) the lock of this script
slurmctld -c 9>&-
slurmd 9>&-
echo "$STATE/slurmctld.pid" >> "$STATE/started"
echo "$STATE/slurmd.pid" >> "$STATE/started"

for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    if [[ "$state" =~ ^(idle|mixed|allocated) ]]; then
        echo "start.sh: SLURM up: $(sinfo -h -o '%P %D %T %c CPUs %m MB') (logs in $STATE)"
        exit 0
    fi
    sleep 1
done
echo "start.sh: node not ready after 60 s (state '${state:-none}'); see $STATE/slurmctld.log, $STATE/slurmd.log" >&2
exit 1

#!/usr/bin/env bash
# Install the Debian packages of a one-node SLURM (controller, node daemon, client tools, MUNGE).
# Idempotent: does nothing when the binaries are already there. Needs root and apt.
set -euo pipefail

if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v sbatch >/dev/null && command -v munged >/dev/null && command -v pgrep >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge procps

#!/usr/bin/env bash
# Runs lungtrack's whole test suite on a fresh Debian machine: installs the system packages the
# tests drive for real (headless Chromium for the reports, Slurm + munge for the cluster test,
# dicom3tools' dciodvfy for the DICOM export),
# a virtual environment with lungtrack and its test extras in .venv, then pytest on 2 workers.
# Usage (from the repository root, as root or with sudo rights for apt): bash tests/run.sh [pytest args]
# Without arguments it runs the linters first (seconds), then the fast tests, then the slow end-to-end ones.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium chromium-driver)
command -v slurmctld >/dev/null || need+=(slurmctld slurmd slurm-client munge)
command -v dciodvfy >/dev/null || need+=(dicom3tools)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[nnunet,slurm,test]"

export PATH="$PWD/.venv/bin:$PATH"
# Cheap stage first (unit and module tests, a few minutes), then the slow end-to-end runs
# (Snakemake, SLURM, nnU-Net training): a broken unit stops the run before the long part.
# With arguments (e.g. a test file or -k), one run of exactly those.
if [ $# -gt 0 ]; then
    exec pytest -n 2 --durations=15 "$@"
fi
echo "== stage 0: snakemake --lint, snakefmt --check, ruff check"
snakemake --lint
snakefmt --check .
ruff check .
echo "== stage 1: fast tests (-m 'not slow')"
pytest -n 2 --durations=10 -m "not slow"
echo "== stage 2: end-to-end tests (-m slow)"
exec pytest -n 2 --durations=15 -m slow

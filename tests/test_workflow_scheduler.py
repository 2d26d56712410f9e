"""The local profile's job rate limit and the timers the Snakefile cancels at the end (lungtrack.workflow_scheduler)."""

import threading
from pathlib import Path

import yaml
from snakemake.settings.types import MaxJobsPerTimespan

from lungtrack.workflow_scheduler import cancel_pending_timers

PROFILE = Path(__file__).resolve().parents[1] / "workflow/profiles/local/config.yaml"


def test_cancel_pending_timers_ends_them_unfired():
    fired = threading.Event()
    timers = [threading.Timer(600, fired.set) for _ in range(3)]
    for timer in timers:
        timer.start()
    assert cancel_pending_timers() >= 3
    for timer in timers:
        timer.join(timeout=10)
        assert not timer.is_alive()
    assert not fired.is_set()
    assert cancel_pending_timers() == 0


def test_local_profile_wakes_the_scheduler_rarely_and_allows_the_default_rate():
    limit = MaxJobsPerTimespan.parse_choice(yaml.safe_load(PROFILE.read_text())["max-jobs-per-timespan"])
    default = MaxJobsPerTimespan.parse_choice("100/1s")  # Snakemake's default
    assert limit.timespan >= 60 * default.timespan
    assert limit.max_jobs / limit.timespan >= default.max_jobs / default.timespan


def test_snakefile_cancels_the_timers_on_success_and_on_error():
    snakefile = (PROFILE.parents[3] / "Snakefile").read_text()
    for hook in ("onsuccess:", "onerror:"):
        body = snakefile.split(hook, 1)[1].split("\n\n", 1)[0]
        assert "cancel_pending_timers()" in body, hook

"""What the workflow does about Snakemake's scheduler at the end of a run (standard library only).

With a job rate limit (``--max-jobs-per-timespan``, always set: it has no off value), every scheduling
round that leaves a job waiting starts a ``threading.Timer`` of the limit's timespan that wakes the
scheduler for another round. The local profile sets a long timespan, so that the rounds come from
finished jobs instead of a timer storm; the timers still pending when the run ends would then keep
the process alive for up to that timespan, so the Snakefile's ``onsuccess``/``onerror`` cancel them.
"""

import threading


def cancel_pending_timers() -> int:
    """Cancel every ``threading.Timer`` still waiting in this process; the number cancelled.

    Meant for the end of a run, when the scheduler no longer needs to be woken.
    """
    timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]
    for timer in timers:
        timer.cancel()
    return len(timers)

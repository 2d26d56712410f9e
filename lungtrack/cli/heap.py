"""Memory allocator settings of tracking and the lung step: freed volumes are kept for the next array.

These two steps allocate and free whole-CT arrays over and over (tracking: each scan's CT and masks,
their resampled and binned copies, label maps moved onto the baseline's grid; the lung step: the
body, air and lung masks, their distance maps and the wall fill's candidates). glibc's malloc serves
each such block with a fresh ``mmap`` and gives it back with ``munmap`` when it is freed, so the next
array of that size faults in every page again; on the benchmarks' 2-core virtual machine a page
fault costs about 10 µs. With malloc's mmap and trim thresholds raised to ``KEEP_BYTES``, blocks up
to that size come from the heap and stay there once freed, reused without faults:

- tracking two 512 x 512 x 300 scans took 7.8 s against 10.7 s (``bench/pipeline.py --repeat 3``,
  medians), its peak 1,445 against 1,400 MB;
- the lung step took 153,000 page faults against 372,000 and about 1 s less where the kernel had no
  huge pages to hand out (its memory fragmented by the page cache, as after a few steps), the same
  time where it had; its peak grew by about 120 MB (1.83 GB).

The other steps keep glibc's defaults: there it changed the time by no more than the noise (convert
and the real CT a little slower) and raised the peaks (measure 1,050 -> 1,460 MB). What is computed
is the same either way.
"""

import ctypes
import sys

#: Blocks up to this size (bytes) come from malloc's heap, and up to this much free heap is kept.
KEEP_BYTES = 1 << 30
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h> parameter numbers


def keep_freed_memory() -> bool:
    """Set glibc malloc's mmap and trim thresholds to ``KEEP_BYTES`` for this process (see the module
    doc); False, changing nothing, where the C library is not glibc (macOS, musl) or refuses."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the C library this process runs on
        libc.gnu_get_libc_version  # noqa: B018 (glibc only: AttributeError elsewhere)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES))

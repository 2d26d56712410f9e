"""The command line's memory allocator settings: freed volumes are kept for the next array.

A step allocates and frees dozens of whole-CT arrays (a 512 x 512 x 300 mask is 79 MB, its float32
distance map 316 MB). glibc's malloc serves each such block with a fresh ``mmap`` and gives it back
with ``munmap`` when it is freed, so the next array of that size faults in every page again. On the
benchmarks' 2-core virtual machine a page fault costs about 10 µs, and where the kernel has no huge
pages to hand out (its memory fragmented by the page cache, as after a few steps) the lung step of a
512 x 512 x 300 CT took 372,000 faults and 4-5 s of system time. With malloc's mmap and trim
thresholds raised to ``KEEP_BYTES``, blocks up to that size come from the heap and stay there once
freed, reused without faults: 153,000 faults, about 1 s less (see the README's performance section).
What is computed is the same; a process keeps up to ``KEEP_BYTES`` of freed memory resident, and the
lung step's peak grew by about 120 MB.
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

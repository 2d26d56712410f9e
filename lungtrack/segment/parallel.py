"""Independent parts of one step run on threads: NumPy, SciPy's ``ndimage`` and Qhull release the GIL
in their loops, so axial slices or slabs of slices that do not depend on each other are computed
at once, each exactly as it would be alone (the same results, in the same order).

The number of threads is SimpleITK's global default (all cores, or what
``ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS`` sets), the one its filters and ``edt`` use.
"""

from concurrent.futures import ThreadPoolExecutor

import SimpleITK as sitk


def thread_count() -> int:
    """Threads for one step's work (SimpleITK's global default)."""
    return max(int(sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()), 1)


def thread_map(function, items) -> list:
    """``[function(item) for item in items]``, the calls spread over :func:`thread_count` threads."""
    items = list(items)
    if thread_count() == 1 or len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(min(thread_count(), len(items))) as pool:
        return list(pool.map(function, items))


def slabs(length: int) -> list[slice]:
    """Contiguous slices splitting ``range(length)`` (an array's first axis, z) into one part per thread."""
    parts = max(min(thread_count(), length), 1)
    bounds = [round(i * length / parts) for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]

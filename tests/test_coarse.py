"""Block means without an edge-padded copy: bit for bit the means of the edge-padded array."""

import numpy as np
import pytest

from lungtrack.segment.coarse import block_mean, to_fine


def _padded_block_mean(array, steps):
    """The computation block_mean replaced: pad the edge, then sum the strided views in the same order."""
    pad = [(0, -n % k) for n, k in zip(array.shape, steps)]
    padded = np.pad(array, pad, mode="edge")
    out = np.zeros([n // k for n, k in zip(padded.shape, steps)], dtype=np.float32)
    for offset in np.ndindex(*steps):
        out += padded[tuple(slice(o, None, k) for o, k in zip(offset, steps))]
    return out / float(np.prod(steps))


@pytest.mark.parametrize("shape", [(7, 11, 13), (6, 9, 12), (1, 2, 5), (2, 1, 1), (5, 16, 3)])
@pytest.mark.parametrize("steps", [(1, 3, 3), (2, 3, 3), (1, 1, 1), (3, 4, 2), (1, 6, 7)])
@pytest.mark.parametrize("dtype", [np.float32, bool])
def test_block_mean_equals_the_edge_padded_sum(shape, steps, dtype):
    rng = np.random.default_rng(sum(shape) * 100 + sum(steps))
    array = (rng.normal(-600, 300, shape) if dtype is np.float32 else rng.random(shape) < 0.4).astype(dtype)
    found = block_mean(array, steps)
    assert found.dtype == np.float32
    np.testing.assert_array_equal(found, _padded_block_mean(array, steps))


def test_to_fine_repeats_each_block_over_the_fine_shape():
    coarse = np.arange(4, dtype=np.float32).reshape(1, 2, 2)
    fine = to_fine(coarse, (1, 2, 3), (1, 3, 5))
    assert fine.shape == (1, 3, 5) and fine[0, 2, 4] == 3 and fine[0, 1, 2] == 0

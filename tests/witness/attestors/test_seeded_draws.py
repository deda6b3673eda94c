"""The batched random draws give the bytes and leave the generator as the one-at-a-time draws do: the
generator's output (and every digest in it) must not depend on which path ran."""

from __future__ import annotations

import random

import pytest

from witness_evals.witness.attestors import scenario, workdir


@pytest.mark.parametrize("n", [0, 1, 2, 7, 40, 64, 96, 160, 611])
def test_word_top_bytes_equal_the_one_at_a_time_draws(n: int) -> None:
    assert workdir._FAST_BYTES
    for seed in range(20):
        a, b = random.Random(seed), random.Random(seed)
        assert workdir.word_top_bytes(a, n) == workdir._random_bytes_slow(b, n)
        assert a.getstate() == b.getstate()


@pytest.mark.parametrize("n", [1, 16, 40, 64])
def test_hex_id_fast_equals_slow(n: int) -> None:
    assert scenario._FAST_HEX
    for seed in range(20):
        a, b = random.Random(seed), random.Random(seed)
        assert scenario._hex_id_fast(a, n) == scenario._hex_id_slow(b, n)
        assert a.getstate() == b.getstate()


def test_a_random_subclass_takes_the_one_at_a_time_path() -> None:
    class Counting(random.Random):
        calls = 0

        def getrandbits(self, k: int) -> int:
            Counting.calls += 1
            return super().getrandbits(k)

    rng = Counting(3)
    out = workdir._random_bytes(rng, 12)
    assert Counting.calls == 12 and out == workdir._random_bytes_slow(random.Random(3), 12)

"""The table of known RSA primes is only a speed-up: each entry is what the seeded search finds."""

from __future__ import annotations

import pytest

from witness_evals.witness import crypto
from witness_evals.witness.rsa_primes import KNOWN_PRIMES


@pytest.mark.parametrize(("kind", "seed"), sorted(KNOWN_PRIMES))
def test_known_primes_are_what_the_seeded_search_finds(kind: str, seed: int) -> None:
    rng = crypto._Drbg(kind.encode(), str(seed).encode())
    assert crypto._search_rsa_primes(kind, rng) == KNOWN_PRIMES[(kind, seed)]


def test_a_seed_outside_the_table_is_searched_and_gives_a_working_key() -> None:
    kind, seed = "rsa-2048", 424242
    assert (kind, seed) not in KNOWN_PRIMES
    key = crypto._seeded_key.__wrapped__(kind, seed)
    signer = crypto.Signer(key)
    assert signer.verifier().verify(b"payload", signer.sign(b"payload"))
    assert crypto.key_kind(key) == kind

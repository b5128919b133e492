"""Cascade error correction (Brassard-Salvail 1993) between Alice and Bob over the public channel.

Apps layer. Alice's string is the reference; Bob corrects his. Each pass shuffles the key with a
permutation announced by Alice, splits it into blocks (k1 = 0.73/Q, doubling each pass) and compares
block parities; a block whose parities differ holds an odd number of errors and a binary search over
Alice's sub-block parities finds one. Correcting a bit flips the parity of the block holding it in
every earlier pass, which reopens those blocks: the cascade. Binary searches in disjoint blocks of one
pass run in parallel, one request/answer message pair per round.

Leakage is counted as every parity bit Alice discloses (block parities + binary-search parities);
Bob's requests name positions only. The result also counts the errors actually corrected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qnp_engine.apps.auth import AuthenticatedChannel


@dataclass(frozen=True)
class CascadeResult:
    corrected: np.ndarray  # Bob's key after Cascade (uint8 0/1)
    leak_bits: int  # parity bits disclosed by Alice
    errors_corrected: int
    passes: int
    rounds: int  # request/answer round trips
    block_sizes: tuple[int, ...]


def block_sizes(qber: float, n: int, passes: int) -> list[int]:
    """k1 = 0.73/Q (the original paper's choice), doubled each pass, capped at n."""
    q = max(qber, 1e-3)  # a zero estimate still leaves a few errors to find
    k1 = max(4, math.ceil(0.73 / q))
    return [max(1, min(n, k1 << i)) for i in range(passes)]


class _Alice:
    """Alice's side: answers parity requests from prefix sums of her permuted key."""

    def __init__(self, bits: np.ndarray):
        self.bits = bits
        self.prefix: list[np.ndarray] = []

    def add_pass(self, perm: np.ndarray, k: int) -> np.ndarray:
        permuted = self.bits[perm].astype(np.int64)
        self.prefix.append(np.concatenate(([0], np.cumsum(permuted))))
        starts = np.arange(0, perm.size, k)
        return (np.add.reduceat(permuted, starts) & 1).astype(np.uint8)

    def parities(self, requests: list[list[int]]) -> np.ndarray:
        req = np.asarray(requests, dtype=np.int64).reshape(-1, 3)
        out = np.empty(len(req), dtype=np.uint8)
        for q in np.unique(req[:, 0]):
            sel = req[:, 0] == q
            pre = self.prefix[int(q)]
            out[sel] = (pre[req[sel, 2]] - pre[req[sel, 1]]) & 1
        return out


def cascade(
    alice_bits: np.ndarray,
    bob_bits: np.ndarray,
    qber: float,
    rng: np.random.Generator,
    channel: AuthenticatedChannel,
    passes: int = 4,
) -> CascadeResult:
    """Run Cascade; Alice's randomness (permutation seeds) comes from ``rng``."""
    n = int(alice_bits.size)
    if n != bob_bits.size:
        raise ValueError("Alice and Bob hold keys of different length")
    alice = _Alice(np.asarray(alice_bits, dtype=np.uint8))
    bob = np.array(bob_bits, dtype=np.uint8)
    sizes = block_sizes(qber, n, passes) if n else []
    perms: list[np.ndarray] = []
    where: list[np.ndarray] = []  # where[r][pos] = index of pos in pass r's permuted order
    diffs: list[np.ndarray] = []
    leak = errors = rounds = 0

    def flip(pos: int) -> None:
        nonlocal errors
        bob[pos] ^= 1
        errors += 1
        for r, d in enumerate(diffs):
            d[where[r][pos] // sizes[r]] ^= 1

    def correct_pass(q: int) -> None:
        """Binary-search every odd block of pass q in parallel until all are even."""
        nonlocal leak, rounds
        k, perm = sizes[q], perms[q]
        searches = [(int(b) * k, min(int(b) * k + k, n)) for b in np.flatnonzero(diffs[q])]
        while searches:
            active = []
            for lo, hi in searches:
                if hi - lo == 1:
                    flip(int(perm[lo]))
                else:
                    active.append((lo, hi))
            if not active:
                break
            requests = [[q, lo, (lo + hi) // 2] for lo, hi in active]
            channel.send("bob", "cascade-parity-request", requests)
            answers = channel.send("alice", "cascade-parities", alice.parities(requests))
            leak += len(requests)
            rounds += 1
            searches = []
            for (lo, hi), (_, _, mid), a in zip(active, requests, answers, strict=True):
                mine = int(bob[perm[lo:mid]].sum()) & 1
                searches.append((lo, mid) if mine != int(a) else (mid, hi))

    for p in range(passes if n else 0):
        seed = channel.send("alice", "cascade-permutation-seed", int(rng.integers(0, 2**63)))
        perm = np.random.default_rng(seed).permutation(n)
        inverse = np.empty(n, dtype=np.int64)
        inverse[perm] = np.arange(n)
        perms.append(perm)
        where.append(inverse)
        alice_par = channel.send("alice", "cascade-block-parities", alice.add_pass(perm, sizes[p]))
        leak += int(alice_par.size)
        starts = np.arange(0, n, sizes[p])
        bob_par = (np.add.reduceat(bob[perm].astype(np.int64), starts) & 1).astype(np.uint8)
        diffs.append(alice_par ^ bob_par)
        # Correct the current pass, then whatever its corrections reopened in earlier passes.
        while True:
            open_passes = [r for r, d in enumerate(diffs) if d.any()]
            if not open_passes:
                break
            correct_pass(open_passes[-1] if p in open_passes else open_passes[0])
        channel.checkpoint()
    return CascadeResult(bob, leak, errors, passes, rounds, tuple(sizes))

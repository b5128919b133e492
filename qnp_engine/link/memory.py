"""Memory qubits of one node reserved for one link, shared among the link's purposes (circuits)."""

from __future__ import annotations


class MemoryPool:
    """``capacity`` qubits; each purpose may hold at most an equal share while others are active,
    so one circuit cannot fill the memory and starve another (reference notes §1.10)."""

    __slots__ = ("node", "capacity", "in_use", "held")

    def __init__(self, node: str, capacity: int) -> None:
        self.node = node
        self.capacity = capacity
        self.in_use = 0
        self.held: dict[int, int] = {}

    def can_take(self, purpose: int, active_purposes: int) -> bool:
        if self.in_use >= self.capacity:
            return False
        quota = self.capacity if active_purposes <= 1 else max(1, self.capacity // active_purposes)
        return self.held.get(purpose, 0) < quota

    def take(self, purpose: int) -> None:
        self.in_use += 1
        self.held[purpose] = self.held.get(purpose, 0) + 1

    def give(self, purpose: int) -> None:
        self.in_use -= 1
        self.held[purpose] -= 1

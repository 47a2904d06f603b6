"""A processor micro-batch's parts and outcome, as the processor and the event store exchange them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from schemas import Rejection


@dataclass(frozen=True)
class RejectedRow:
    """A rejected message and where it was on Kafka."""

    partition: int
    offset: int
    rejection: Rejection

    @property
    def payload_sha256(self) -> str:
        return hashlib.sha256(self.rejection.payload.encode()).hexdigest()

    def dead_letter(self, source_topic: str) -> tuple[bytes, bytes]:
        """Key and value for incidents.rejected: the reason, the original payload and where it came from."""
        located = self.rejection.model_copy(
            update={"source_topic": source_topic, "source_partition": self.partition, "source_offset": self.offset}
        )
        return f"{self.partition}:{self.offset}".encode(), located.model_dump_json().encode()


@dataclass(frozen=True)
class BatchResult:
    accepted: int
    duplicates: int
    rejected: int

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(self.accepted + other.accepted, self.duplicates + other.duplicates,
                           self.rejected + other.rejected)

"""A processor micro-batch's parts and outcome, as the processor and the event store exchange them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from uuid import UUID

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

    def claimed_event(self) -> tuple[UUID, bytes] | None:
        """The event id the payload claims and the payload as bytes, or None when it names no valid id.

        Lets the outbox confirm one of its own events that the processor rejected (matched on both)."""
        if self.rejection.payload_encoding != "utf-8":
            return None
        try:
            claimed = json.loads(self.rejection.payload)
            return UUID(claimed["event_id"]), self.rejection.payload.encode()
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

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

"""The tamper-evident audit log, as the CLI and the dashboard use it.

Rows are written by the store in the same transaction as the change they describe (see
``core._store``). Each row's ``hash`` is SHA-256 over the previous row's hash and this row's
sequence number, time, actor, kind, subject and canonical-JSON detail, so editing, deleting or
reordering any row breaks every hash after it; :func:`verify_chain` finds the first broken row.
Deleting the newest rows leaves a valid shorter chain: publish :attr:`AuditVerification.head`
somewhere else (a moderators' channel, a ticket) and pass it back as ``expect_head`` to detect
that too.

Audit rows hold identifiers and hashes, never message text, so retention can purge evidence
while the chain stays verifiable.
"""

from __future__ import annotations

from collections.abc import Iterator

from core._api import AuditRow
from core._store import AuditEntry, AuditVerification, Store, audit_hash, canonical_json

__all__ = ["AuditLog", "verify_chain"]


def verify_chain(store: Store, *, expect_head: str | None = None) -> AuditVerification:
    """Check the whole chain; with ``expect_head``, also that no newer rows were cut off."""
    result = store.verify_audit()
    if (
        result.ok
        and expect_head is not None
        and expect_head != result.head
        and not _has_hash(store, expect_head)
    ):
        return AuditVerification(
            False,
            result.rows,
            result.head,
            None,
            f"the expected head {expect_head[:16]}... is not in the chain: rows were removed",
        )
    return result


def _has_hash(store: Store, digest: str) -> bool:
    return any(row.hash == digest for row in store.audit_rows())


class AuditLog:
    """Read and append audit rows through a :class:`~core._store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def append(self, actor: str, kind: str, subject: str, detail: dict[str, object]) -> str:
        """Append one row (e.g. ``export`` by the dashboard); returns the new head hash."""
        return self._store.append_audit([AuditEntry(actor, kind, subject, dict(detail))])

    def rows(self, after_seq: int = 0, batch: int = 1000) -> Iterator[AuditRow]:
        while True:
            chunk = self._store.audit_rows(after_seq, batch)
            if not chunk:
                return
            yield from chunk
            after_seq = chunk[-1].seq

    def verify(self, *, expect_head: str | None = None) -> AuditVerification:
        return verify_chain(self._store, expect_head=expect_head)

    @staticmethod
    def recompute(row: AuditRow) -> str:
        """The hash ``row`` should carry, given its ``prev_hash`` (for third-party checks)."""
        at = row.at.isoformat(timespec="microseconds")
        return audit_hash(
            row.prev_hash, row.seq, at, row.actor, row.kind, row.subject, canonical_json(row.detail)
        )

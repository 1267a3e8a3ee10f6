"""Threads: conversations with participants, ordered messages and per-participant read cursors.

A participant is an identity (`role/name`, registered) or a person (`person/NAME` or
`operator/NAME`). Every message gets the thread's next sequence number; a participant's read
cursor is the last sequence it has read, so `last_seq - read_seq` is its unread count.
Message bodies are stored exactly as given (control characters included, up to 64 KiB); they
are sanitised only when typed into a terminal.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bosun.base.clock import iso
from bosun.base.errors import IllegalTransition, InvalidInput, NotFound, OperationFailed
from bosun.base.ids import short_id
from bosun.base.names import MAX_TEXT, check_text, split_identity

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Row, Tx

PERSON_ROLES = frozenset({"person", "operator"})
DEFAULT_PROJECT = "default"


class ThreadStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ParticipantKind(StrEnum):
    IDENTITY = "identity"
    PERSON = "person"


@dataclass(frozen=True)
class Thread:
    id: str
    project: str
    title: str
    status: ThreadStatus
    created_by: str
    last_seq: int
    created_at: float
    updated_at: float
    closed_at: float | None = None

    @classmethod
    def from_row(cls, row: Row) -> Thread:
        return cls(
            row["id"],
            row["project"],
            row["title"],
            ThreadStatus(row["status"]),
            row["created_by"],
            int(row["last_seq"]),
            row["created_at"],
            row["updated_at"],
            row["closed_at"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "title": self.title,
            "status": str(self.status),
            "created_by": self.created_by,
            "last_seq": self.last_seq,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "closed_at": iso(self.closed_at),
        }


@dataclass(frozen=True)
class Participant:
    thread_id: str
    role: str
    name: str
    kind: ParticipantKind
    read_seq: int
    joined_at: float
    read_at: float | None = None

    @property
    def ref(self) -> str:
        return f"{self.role}/{self.name}"

    @classmethod
    def from_row(cls, row: Row) -> Participant:
        return cls(
            row["thread_id"],
            row["role"],
            row["name"],
            ParticipantKind(row["kind"]),
            int(row["read_seq"]),
            row["joined_at"],
            row["read_at"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "participant": self.ref,
            "kind": str(self.kind),
            "read_seq": self.read_seq,
            "joined_at": iso(self.joined_at),
            "read_at": iso(self.read_at),
        }


@dataclass(frozen=True)
class Message:
    thread_id: str
    seq: int
    author: str
    body: str
    created_at: float

    @classmethod
    def from_row(cls, row: Row) -> Message:
        return cls(
            row["thread_id"],
            int(row["seq"]),
            f"{row['author_role']}/{row['author_name']}",
            row["body"],
            row["created_at"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "seq": self.seq,
            "author": self.author,
            "body": self.body,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class ParticipantView:
    """One participant of one thread with its thread's state: what reconciliation reads."""

    thread_id: str
    role: str
    name: str
    kind: ParticipantKind
    read_seq: int
    project: str
    thread_status: ThreadStatus
    last_seq: int
    title: str = ""

    @property
    def unread(self) -> int:
        return max(0, self.last_seq - self.read_seq)

    @classmethod
    def from_row(cls, row: Row) -> ParticipantView:
        return cls(
            row["thread_id"],
            row["role"],
            row["name"],
            ParticipantKind(row["kind"]),
            int(row["read_seq"]),
            row["project"],
            ThreadStatus(row["status"]),
            int(row["last_seq"]),
            row["title"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "title": self.title,
            "participant": f"{self.role}/{self.name}",
            "unread": self.unread,
            "read_seq": self.read_seq,
            "last_seq": self.last_seq,
            "status": str(self.thread_status),
        }


def operator_ref() -> str:
    """The person running the CLI without `--as`: `operator/<login>`."""
    try:
        login = getpass.getuser().lower()
    except (KeyError, OSError):
        login = ""
    login = re.sub(r"[^a-z0-9_.-]", "", login).lstrip("._-")[:63] or "local"
    return f"operator/{login}"


def check_body(body: str) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("a message needs a body", "give the text to post (or - for stdin)")
    check_text(body, "message body", MAX_TEXT)
    if "\x00" in body:
        raise InvalidInput(
            "the message body contains a NUL character",
            "remove it; every other control character is kept as text",
        )
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            "the message body is not valid UTF-8 text", "send text, not raw bytes"
        ) from None
    return body


class Threads:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reads ----------------------------------------------------------------------------

    def get(self, thread_id: str) -> Thread:
        with self.ctx.store.transaction(write=False) as tx:
            return self.get_in(tx, thread_id)

    def get_in(self, tx: Tx, thread_id: str) -> Thread:
        row = tx.one("thread_get", id=thread_id) if isinstance(thread_id, str) else None
        if row is None:
            raise NotFound(f"no thread {thread_id!r}", "list threads with `bosun thread list`")
        return Thread.from_row(row)

    def participants(self, thread_id: str) -> list[Participant]:
        with self.ctx.store.transaction(write=False) as tx:
            self.get_in(tx, thread_id)
            return [
                Participant.from_row(r) for r in tx.all("participant_list", thread_id=thread_id)
            ]

    def participant_in(self, tx: Tx, thread_id: str, ref: str) -> Participant | None:
        role, name = split_identity(ref)
        row = tx.one("participant_get", thread_id=thread_id, role=role, name=name)
        return Participant.from_row(row) if row else None

    def require_participant_in(self, tx: Tx, thread: Thread, ref: str) -> Participant:
        found = self.participant_in(tx, thread.id, ref)
        if found is None:
            raise NotFound(
                f"{ref} is not a participant of thread {thread.id}",
                f"see `bosun thread participants {thread.id}`",
                code="not_participant",
            )
        return found

    def views(self, member: str | None = None) -> list[ParticipantView]:
        """Every (participant, thread) pair, optionally of one member, in a stable order."""
        role = name = None
        if member is not None:
            role, name = split_identity(member)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all("participant_views", role=role, name=name)
        return [ParticipantView.from_row(r) for r in rows]

    def unread_for(self, member: str) -> list[ParticipantView]:
        return [v for v in self.views(member) if v.unread > 0]

    def recent(self, thread_id: str, limit: int = 10) -> list[Message]:
        with self.ctx.store.transaction(write=False) as tx:
            return self.recent_in(tx, thread_id, limit)

    def recent_in(self, tx: Tx, thread_id: str, limit: int = 10) -> list[Message]:
        return [
            Message.from_row(r) for r in tx.all("message_recent", thread_id=thread_id, limit=limit)
        ]

    def last_message_by_in(self, tx: Tx, thread_id: str, ref: str) -> Message | None:
        role, name = split_identity(ref)
        row = tx.one("message_last_by", thread_id=thread_id, role=role, name=name)
        return Message.from_row(row) if row else None

    # -- writes ---------------------------------------------------------------------------

    def create(
        self,
        title: str,
        participants: list[str],
        created_by: str | None = None,
        project: str = DEFAULT_PROJECT,
    ) -> Thread:
        if not isinstance(title, str) or not title.strip():
            raise InvalidInput("a thread needs a title", "give a short title")
        check_text(title, "title", 1024)
        creator = created_by or operator_ref()
        refs = list(dict.fromkeys([*participants, *([created_by] if created_by else [])]))
        with self.ctx.store.transaction() as tx:
            members = [(ref, self._kind_in(tx, ref)) for ref in refs]
            for _ in range(20):
                thread_id = short_id("th", 3)
                if tx.run(
                    "thread_insert", id=thread_id, project=project, title=title, created_by=creator
                ):
                    break
            else:  # pragma: no cover - 2^24 ids
                raise OperationFailed("could not allocate a thread id", "try again")
            for ref, kind in members:
                role, name = split_identity(ref)
                tx.run(
                    "participant_insert", thread_id=thread_id, role=role, name=name, kind=str(kind)
                )
            tx.emit(
                "thread.created",
                thread_id,
                {"title": title, "by": creator, "participants": refs, "project": project},
            )
            return self.get_in(tx, thread_id)

    def add_participant(self, thread_id: str, ref: str) -> Participant:
        with self.ctx.store.transaction() as tx:
            thread = self.get_in(tx, thread_id)
            kind = self._kind_in(tx, ref)
            role, name = split_identity(ref)
            if tx.run(
                "participant_insert", thread_id=thread.id, role=role, name=name, kind=str(kind)
            ):
                tx.emit("thread.joined", thread.id, {"participant": ref, "kind": str(kind)})
            return self.require_participant_in(tx, thread, ref)

    def post(self, thread_id: str, body: str, author: str | None = None) -> Message:
        """Append a message; the author has read everything up to it."""
        check_body(body)
        with self.ctx.store.transaction() as tx:
            thread = self.get_in(tx, thread_id)
            ref = author or operator_ref()
            if author is not None:
                self.require_participant_in(tx, thread, author)
            if thread.status == ThreadStatus.CLOSED:
                raise IllegalTransition(
                    f"thread {thread.id} is closed",
                    "start a new thread with `bosun thread create`",
                    code="thread_closed",
                )
            row = tx.one("thread_next_seq", id=thread.id)
            assert row is not None
            seq = int(row["last_seq"])
            role, name = split_identity(ref)
            tx.run(
                "message_insert",
                thread_id=thread.id,
                seq=seq,
                author_role=role,
                author_name=name,
                body=body,
            )
            tx.run("participant_advance", thread_id=thread.id, role=role, name=name, seq=seq)
            tx.run("thread_notify", thread_id=thread.id)
            tx.emit("thread.message", thread.id, {"seq": seq, "author": ref, "chars": len(body)})
            return Message(thread.id, seq, ref, body, tx.now)

    def read(
        self, thread_id: str, reader: str | None = None, *, advance: bool = True, limit: int = 1000
    ) -> tuple[list[Message], int]:
        """Unread messages of `reader` (all messages for the operator) and the new cursor."""
        with self.ctx.store.transaction(write=advance and reader is not None) as tx:
            thread = self.get_in(tx, thread_id)
            after = 0
            if reader is not None:
                after = self.require_participant_in(tx, thread, reader).read_seq
            messages = [
                Message.from_row(r)
                for r in tx.all("message_range", thread_id=thread.id, after=after, limit=limit)
            ]
            cursor = messages[-1].seq if messages else after
            if reader is not None and advance and messages:
                role, name = split_identity(reader)
                if tx.run(
                    "participant_advance", thread_id=thread.id, role=role, name=name, seq=cursor
                ):
                    tx.emit("thread.read", thread.id, {"participant": reader, "seq": cursor})
            return messages, cursor

    def close(self, thread_id: str, by: str | None = None) -> Thread:
        with self.ctx.store.transaction() as tx:
            thread = self.get_in(tx, thread_id)
            if by is not None:
                self.require_participant_in(tx, thread, by)
            if tx.run("thread_close", id=thread.id):
                tx.emit("thread.closed", thread.id, {"by": by or operator_ref()})
            return self.get_in(tx, thread.id)

    def _kind_in(self, tx: Tx, ref: str) -> ParticipantKind:
        role, name = split_identity(ref)
        if role in PERSON_ROLES:
            return ParticipantKind.PERSON
        self.ctx.identities.get_in(tx, role, name)  # NotFound for an unknown identity
        return ParticipantKind.IDENTITY

    def list(self, project: str | None = None, status: str | None = None) -> list[Thread]:
        if status is not None and status not in {s.value for s in ThreadStatus}:
            raise InvalidInput(f"unknown thread status {status!r}", "use open or closed")
        with self.ctx.store.transaction(write=False) as tx:
            return [
                Thread.from_row(r) for r in tx.all("thread_list", project=project, status=status)
            ]

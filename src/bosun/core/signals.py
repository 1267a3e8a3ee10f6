"""Signals: typed messages between identities (MERGE_READY, NUDGE, …)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bosun.base.errors import InvalidInput, NotFound, OperationFailed
from bosun.base.ids import short_id
from bosun.base.jsontext import dumps_strict, parse_json
from bosun.base.names import MAX_TEXT, check_text, split_identity
from bosun.core.records import Signal

if TYPE_CHECKING:
    from bosun.core.context import Context
    from bosun.store.protocol import Tx

SIGNAL_TYPES = frozenset(
    {
        "MERGE_READY",
        "MERGE_COMPLETE",
        "MERGE_FAILED",
        "HANDOFF_REQUESTED",
        "NUDGE",
        "IMPL_COMPLETE",
        "ESCALATION",
        "NODE_STARTED",
        "NODE_FAILED",
        "RUNNER_DONE",
    }
)


def check_type(kind: str) -> str:
    if kind in SIGNAL_TYPES or (kind.startswith("x-") and 2 < len(kind) <= 64):
        return kind
    raise InvalidInput(
        f"unknown signal type {kind!r}",
        "use one of " + ", ".join(sorted(SIGNAL_TYPES)) + ", or a custom type prefixed x-",
    )


def parse_payload(text: str | None) -> dict[str, Any]:
    if text is None or text == "":
        return {}
    check_text(text, "payload", MAX_TEXT)
    hint = 'give a JSON object, e.g. --payload \'{"branch": "bosun/toast"}\''
    value = parse_json(text, "payload", hint)
    if not isinstance(value, dict):
        raise InvalidInput("payload must be a JSON object", 'wrap it: {"value": …}')
    return value


class Signals:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def send(
        self,
        to: str,
        kind: str,
        payload: dict[str, Any] | None = None,
        sender: str | None = None,
    ) -> Signal:
        with self.ctx.store.transaction() as tx:
            return self.send_in(tx, to, kind, payload, sender)

    def send_in(
        self,
        tx: Tx,
        to: str,
        kind: str,
        payload: dict[str, Any] | None = None,
        sender: str | None = None,
    ) -> Signal:
        to_role, to_name = split_identity(to)
        check_type(kind)
        from_role = from_name = None
        if sender is not None:
            from_role, from_name = split_identity(sender)
            self.ctx.identities.get_in(tx, from_role, from_name)
        self.ctx.identities.get_in(tx, to_role, to_name)
        body = dumps_strict(payload or {}, "payload", sort_keys=True)
        check_text(body, "payload", MAX_TEXT)
        for _ in range(20):
            signal_id = short_id("sg", 4)
            if tx.run(
                "signal_insert",
                id=signal_id,
                to_role=to_role,
                to_name=to_name,
                from_role=from_role,
                from_name=from_name,
                type=kind,
                payload=body,
            ):
                break
        else:  # pragma: no cover
            raise OperationFailed("could not allocate a signal id", "try again")
        tx.emit(
            "signal.sent",
            to,
            {"id": signal_id, "type": kind, "from": sender, "payload": payload or {}},
        )
        row = tx.one("signal_get", id=signal_id)
        assert row is not None
        return Signal.from_row(row)

    def list(
        self, to: str | None = None, unread: bool = False, kind: str | None = None
    ) -> list[Signal]:
        to_role = to_name = None
        if to is not None:
            to_role, to_name = split_identity(to)
        with self.ctx.store.transaction(write=False) as tx:
            rows = tx.all(
                "signal_list", to_role=to_role, to_name=to_name, unread=int(unread), type=kind
            )
        return [Signal.from_row(r) for r in rows]

    def ack(self, signal_id: str) -> Signal:
        with self.ctx.store.transaction() as tx:
            return self.ack_in(tx, signal_id)

    def ack_in(self, tx: Tx, signal_id: str) -> Signal:
        row = tx.one("signal_get", id=signal_id)
        if row is None:
            raise NotFound(f"no signal {signal_id!r}", "list signals with `bosun signal list`")
        if tx.run("signal_ack", id=signal_id):
            tx.emit(
                "signal.acked",
                f"{row['to_role']}/{row['to_name']}",
                {"id": signal_id, "type": row["type"]},
            )
            row = tx.one("signal_get", id=signal_id)
            assert row is not None
        return Signal.from_row(row)

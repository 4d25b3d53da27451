"""An organisation's audit events as records, and as the lines of an export for a SIEM.

Two formats, both written line by line from a stream of events (nothing is held in memory):

- ``jsonl``: JSON Lines, one JSON object per event (the admin API's event object);
- ``csv``: RFC 4180 CSV with a header row, ``details`` as a JSON string in its column. A cell
  that a spreadsheet application would read as a formula (it starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) is prefixed with a single quote (OWASP's advice on CSV
  injection): events carry text that people outside the organisation chose (a user agent, a
  username in ``details``), and opening the export must never run it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from bridge.storage.db.models import AuditEvent

ExportFormat = Literal["jsonl", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv")
MEDIA_TYPES: dict[ExportFormat, str] = {
    "jsonl": "application/jsonl; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
COLUMNS = (
    "id",
    "occurred_at",
    "event",
    "user_id",
    "actor_id",
    "client_id",
    "ip",
    "user_agent",
    "mfa_factor_type",
    "reason",
    "details",
)
#: What makes a spreadsheet application read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def event_record(event: AuditEvent) -> dict[str, Any]:
    """The event as the admin API, the CLI and the exports show it."""
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "event": event.event,
        "user_id": event.user_id,
        "actor_id": event.actor_id,
        "client_id": event.client_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "mfa_factor_type": event.mfa_factor_type,
        "reason": event.reason,
        "details": event.details,
    }


def spreadsheet_safe(cell: str) -> str:
    """``cell``, quoted with a leading ``'`` when a spreadsheet would take it for a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_lines(events: Iterable[AuditEvent], fmt: ExportFormat) -> Iterator[str]:
    """The export of ``events`` in ``fmt``, one line (ending in a newline) at a time."""
    if fmt == "jsonl":
        for event in events:
            yield json.dumps(event_record(event), sort_keys=True) + "\n"
        return
    yield _csv_row(COLUMNS)
    for event in events:
        record = event_record(event)
        record["details"] = json.dumps(record["details"], sort_keys=True)
        yield _csv_row(["" if record[c] is None else str(record[c]) for c in COLUMNS])


def _csv_row(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(spreadsheet_safe(c) for c in cells)
    return buffer.getvalue()

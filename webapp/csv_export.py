"""CSV downloads in the form German Excel opens with a double click: cells separated by ';'
(Excel's list separator under a German locale), UTF-8 with a byte order mark (without it
Excel reads the file as Windows-1252 and mangles every umlaut), dates as TT.MM.JJJJ and
moments as TT.MM.JJJJ HH:MM in the chain's time zone.

A cell that starts with = + - @ (or a tab or carriage return) would be run by a spreadsheet
as a formula (CSV injection): it gets a leading apostrophe, which Excel shows as text.

Rows are streamed as they are produced: a list of 100,000 orders is read chunk by chunk
(`keyset_chunks`) and never held at once."""
import csv
import io
import unicodedata
from datetime import date, datetime, timezone
from urllib.parse import quote

from flask import Response, stream_with_context
from flask_babel import get_timezone
from sqlalchemy import and_, or_

from .extensions import db

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500
SEND_AT = 64 * 1024  # characters gathered before a piece of the download goes out


def cell(value):
    """A value as the text of one cell: None empty, booleans ja/nein are the caller's words,
    everything else str(); a would-be formula escaped."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def day(value):
    """A date as TT.MM.JJJJ ('' for None)."""
    return value.strftime("%d.%m.%Y") if isinstance(value, date) else ""


def moment(value, zone=None):
    """An aware (or UTC-naive) datetime as TT.MM.JJJJ HH:MM in `zone` (default: the
    request's time zone, the chain's); '' for None."""
    if not isinstance(value, datetime):
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone or get_timezone()).strftime("%d.%m.%Y %H:%M")


def keyset_chunks(query, key_columns, size=None):
    """Run `query` (ordered by `key_columns`, all descending, the last one unique) in chunks
    of `size` rows (default CHUNK_SIZE), each chunk starting below the last row of the one before: constant memory
    and no OFFSET that grows with the list. `query` yields ORM objects; yields lists."""
    size = size or CHUNK_SIZE
    last = None
    while True:
        page = query
        if last is not None:
            page = page.where(_below(key_columns, last))
        rows = db.session.scalars(page.limit(size)).unique().all()
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        # The session holds unchanged objects weakly: a chunk goes once the next is read.
        last = [getattr(rows[-1], column.key) for column in key_columns]


def _below(columns, values):
    """(a, b) < (x, y) in descending order, spelled out for SQLite and PostgreSQL alike."""
    column, value = columns[0], values[0]
    if len(columns) == 1:
        return column < value
    return or_(column < value, and_(column == value, _below(columns[1:], values[1:])))


def filename(title, today):
    """'<title>-JJJJ-MM-TT.csv': the list's name and the day, sortable by date."""
    return f"{title}-{today.isoformat()}.csv"


def response(filename, header, rows):
    """A streamed CSV download: `header` (labels) then `rows` (an iterable of lists of cell
    values, consumed while the response is sent, inside the request's context)."""

    def generate():
        buffer = io.StringIO()
        buffer.write(BOM)
        writer = csv.writer(buffer, dialect="excel", delimiter=";", lineterminator="\r\n")
        writer.writerow([cell(label) for label in header])
        for row in rows:
            writer.writerow([cell(value) for value in row])
            if buffer.tell() > SEND_AT:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": disposition(filename),
                             "Cache-Control": "no-store"})


def disposition(filename):
    """Content-Disposition of a download named `filename`: umlauts (Änderungsprotokoll) go in
    filename* (RFC 6266), filename is the ASCII fallback for old clients."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    return (f'attachment; filename="{fallback.replace(chr(34), "")}"; '
            f"filename*=UTF-8''{quote(filename)}")

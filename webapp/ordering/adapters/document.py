"""The order as data and as a document: the file a command gets (JSON or XML) and the order
form of the standard process (German text and HTML). One source, order_data(), so every way
out carries the same fields (docs/partners/command-line.md, standard-order.md)."""
import json
import xml.etree.ElementTree as ET
from dataclasses import asdict
from datetime import datetime

from markupsafe import escape

from .base import OrderRequest

SIDES_DE = {"left": "links", "right": "rechts"}


def order_data(request: OrderRequest) -> dict:
    """The order in canonical terms. Of the customer only the name: the lab needs no more."""
    def party(value):
        return asdict(value) if value is not None else None

    return {
        "reference": request.reference,
        "idempotency_key": request.idempotency_key,
        "ordered_at": request.ordered_at,
        "customer_number": request.customer_number,
        "process_type": request.process_type,
        "note": request.note,
        "supplier": party(request.supplier),
        "branch": party(request.branch),
        "customer": {"name": request.customer.name} if request.customer is not None else None,
        "position": asdict(request.position),
    }


def order_json(request: OrderRequest) -> str:
    return json.dumps(order_data(request), ensure_ascii=False, indent=2)


def order_xml(request: OrderRequest) -> bytes:
    """<order> with one element per key of order_data(); nulls are left out."""
    def fill(element, values):
        for key, value in values.items():
            if value is None:
                continue
            child = ET.SubElement(element, key)
            if isinstance(value, dict):
                fill(child, value)
            else:
                child.text = str(value)

    root = ET.Element("order")
    fill(root, order_data(request))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- the order form (Bestellschein) -------------------------------------------------------

def _date(iso):
    try:
        return datetime.fromisoformat(iso).strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return iso


def _party_rows(party):
    if party is None:
        return []
    place = " ".join(v for v in (party.postal_code, party.city) if v)
    return [("Name", party.name), ("Anschrift", ", ".join(v for v in (party.street, place) if v)),
            ("Telefon", party.phone), ("E-Mail", party.email)]


def _sections(request):
    """[(heading, [(label, value), ...]), ...] without empty values or sections."""
    p = request.position
    venting = f"{p.venting:.1f} mm".replace(".", ",") if p.venting is not None else ""
    sections = [
        ("Bestellung", [("Bestellnummer", request.reference),
                        ("Bestellt am", _date(request.ordered_at)),
                        ("Kundennummer", request.customer_number)]),
        ("Besteller", _party_rows(request.branch)),
        ("Lieferant", _party_rows(request.supplier)),
        ("Kunde", [("Name", request.customer.name if request.customer else "")]),
        ("Otoplastik", [("Seite", SIDES_DE.get(p.side, p.side)), ("Bauform", p.style),
                        ("Material", p.material), ("Belüftung", venting), ("Farbe", p.colour),
                        ("Bemerkung", p.notes), ("Abdruck / Scan", p.impression_ref)]),
        ("Hinweis", [("Hinweis", request.note)]),
    ]
    return [(heading, [(label, value) for label, value in rows if value])
            for heading, rows in sections if any(value for _label, value in rows)]


def order_document(request: OrderRequest) -> tuple[str, str]:
    """The order form as (plain text, HTML page), in German, for the e-mail and for printing."""
    title = f"Otoplastikbestellung {request.reference}"
    sections = _sections(request)
    text = [title, "=" * len(title)]
    for heading, rows in sections:
        text += ["", heading] + [f"  {label}: {value}" for label, value in rows]
    parts = [f"<!doctype html><html lang=de><meta charset=utf-8><title>{escape(title)}</title>",
             "<style>body{font-family:sans-serif}th{text-align:left;padding-right:1em}</style>",
             f"<h1>{escape(title)}</h1>"]
    for heading, rows in sections:
        parts.append(f"<h2>{escape(heading)}</h2><table>")
        parts += [f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
                  for label, value in rows]
        parts.append("</table>")
    return "\n".join(text) + "\n", "\n".join(parts) + "\n</html>\n"

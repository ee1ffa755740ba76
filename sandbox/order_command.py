#!/usr/bin/env python3
"""A lab's ordering program for the demo's Kommandozeilenbefehl service (docs/partners/
command-line.md): reads the order file, files a copy under --ablage and prints the result
as JSON. The number is derived from the idempotency key, so running it again for the same
order answers with the same number — what a real program should do, too.

    order_command.py --auftrag FILE --schluessel KEY [--ablage FOLDER]
"""
import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--auftrag", required=True, help="the order file (JSON)")
    parser.add_argument("--schluessel", required=True, help="the idempotency key")
    parser.add_argument("--ablage", help="folder that keeps a copy of each order")
    args = parser.parse_args(argv)
    try:
        order = json.loads(Path(args.auftrag).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"cannot read the order file: {error}", file=sys.stderr)
        return 2
    number = "OFM-" + hashlib.sha256(args.schluessel.encode()).hexdigest()[:8].upper()
    if args.ablage:
        folder = Path(args.ablage)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.auftrag, folder / f"{number}.json")
    print(json.dumps({"ok": True, "order_number": number, "status": "received",
                      "message": f"Auftrag {order.get('reference', '?')} angenommen"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The written protocols and the sandbox agree, and `python -m sandbox` serves on its port."""
import json
import re
import subprocess
import sys
import time

import pytest
import requests

from sandbox import PARTNERS
from webapp.devrun import ROOT, free_port

from .conftest import Partner

DOCS = ROOT / "docs" / "partners"
FILES = {"audia": "audia-easy-order.md", "audia-portal": "audia-easy-order.md",
         "dreve": "dreve-smartorder.md",
         "egger": "egger-bestellsystem.md", "egger-erp": "egger-erp.md",
         "hoerluchs": "hoerluchs-partner.md", "otofaktur": "otofaktur-otoport.md"}


def test_every_partner_has_a_protocol_file_marked_as_ours():
    """One file per partner protocol, each saying the protocol is ours and naming its prefix."""
    assert set(FILES) == set(PARTNERS)
    readme = (DOCS / "README.md").read_text()
    for name, file in FILES.items():
        text = (DOCS / file).read_text()
        assert "Ours, not the vendor's" in text and PARTNERS[name]["prefix"] in text
        assert file in readme


@pytest.mark.parametrize("name", sorted(PARTNERS))
def test_the_documented_submit_example_is_accepted(name, sandbox, http):
    """The submit example of each partner file, sent as written, creates an order."""
    text = (DOCS / FILES[name]).read_text()
    collection = PARTNERS[name]["collection"]
    block = re.search(rf"```http\nPOST /{collection}\n.*?\n\n(\{{.*?\n\}})\n```", text, re.S)
    body = json.loads(block.group(1))
    client = Partner(name, sandbox, http)
    response = client.submit("doc-example", body)
    assert response.status_code == 201, response.text
    answer = re.compile(r"HTTP/1.1 201 Created\n.*?\n\n(\{.*?\n\})\n```", re.S)
    assert set(response.json()) == set(json.loads(answer.search(text, block.end()).group(1)))


def test_python_m_sandbox_serves_on_the_given_port():
    """The module entry point starts the sandbox on 127.0.0.1:<port>."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        assert response.json()["ok"] is True
        assert set(response.json()["partners"]) == set(PARTNERS)
    finally:
        proc.terminate()
        proc.wait(10)

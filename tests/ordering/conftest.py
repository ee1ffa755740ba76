"""Fixtures for ordering (the shared `world` and `make_service` are in tests/conftest.py, the
partner sandbox over real HTTP too): English messages, short retry and lease times, the
sandbox's control API. The app's RQ queue and the in-process worker are in tests/conftest.py."""
import pytest
import requests

from tests.factories import make_config


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en", ORDER_RETRY_BASE_SECONDS=0.05,
                       ORDER_RETRY_CAP_SECONDS=0.2, ORDER_LEASE_MARGIN_SECONDS=1)


# --- delivery through real jobs (test_pipeline.py, test_faults.py) -------------------------
# Those modules add REDIS_URL to app_config; the fixtures below need it.

class SandboxControl:
    """The sandbox's control API (docs/partners/README.md) over HTTP."""

    def __init__(self, url):
        self.url = url

    def faults(self, partner="*", **settings):
        """Replace the fault settings of `partner` (omitted values are 0)."""
        requests.post(f"{self.url}/_sandbox/faults", json={"partner": partner, **settings},
                      timeout=5).raise_for_status()

    def orders(self, partner=None):
        return requests.get(f"{self.url}/_sandbox/orders", params={"partner": partner},
                            timeout=5).json()["orders"]

    def expire_tokens(self):
        """Invalidate every bearer token and portal session, as if they had expired."""
        requests.post(f"{self.url}/_sandbox/tokens/expire", timeout=5).raise_for_status()

    def received(self, partner=None, method=None):
        found = requests.get(f"{self.url}/_sandbox/received", params={"partner": partner},
                             timeout=5).json()["received"]
        return [r for r in found if method is None or r["method"] == method]


@pytest.fixture
def control(sandbox):
    return SandboxControl(sandbox)

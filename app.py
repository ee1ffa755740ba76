"""WSGI entry point: `flask --app app ...` and `gunicorn app:app` both load this."""
import gc

from webapp import create_app

app = create_app()

# The objects made at start-up (the catalogue, the mappers, the compiled templates' modules:
# ~170,000) live as long as the process. Frozen, the garbage collector no longer walks them
# on every full collection; and collecting the youngest objects every 50,000 allocations
# instead of every 700 spares a page that builds a few thousand objects per request a dozen
# collections. The older generations keep Python's ratios (10, 10), so cycles a long request
# (a CSV export) leaves behind still go within a few million allocations. Measured in-process
# over the benchmark's pages: ~35 % less CPU per request, most on the largest pages (issue 15,
# bench/README.md).
gc.freeze()
gc.set_threshold(50_000, 10, 10)

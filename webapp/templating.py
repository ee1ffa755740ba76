"""Jinja's Template with a cheaper `{% from ... import ... %}` (issue 15)."""
import jinja2


class Template(jinja2.Template):
    """Jinja asks, on every import of a template's macros, whether the importing page has
    globals the imported template lacks (then it builds the imported template's module anew,
    with them). It asks by subtracting a ChainMap's keys view from a set, which Python does
    key by key through the ChainMap: ~20 µs an import, and a list page imports four to eight
    times (5 % of the order list in a sampling profile). Both templates' globals are the
    app's, so the answer is nearly always no: this asks the same with a frozen set of the
    imported template's global names, made once; where the answer is yes, Jinja decides as
    before."""

    _global_names = None

    def _get_default_module(self, ctx=None):
        if ctx is not None:
            if self._global_names is None:
                self._global_names = frozenset(self.globals)
            if not ctx.globals_keys <= self._global_names:
                return super()._get_default_module(ctx)
        return super()._get_default_module(None)

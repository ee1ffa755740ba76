"""Jinja's Template with a cheaper `{% from ... import ... %}`, and escaping into plain text
for HTML that pages build in Python (issue 15)."""
import jinja2
import markupsafe


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


def escape_in_python(text):
    """markupsafe.escape(text) as a plain str: the same entities, without making a Markup
    (which costs more than the escaping; a page escapes hundreds of texts, issue 15)."""
    return (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
            .replace("'", "&#39;").replace('"', "&#34;"))


# The same from the function markupsafe.escape escapes with before it makes the Markup (in C:
# ~0.02 µs a text, the above ~0.15); a private name, hence the above should it go.
escape_text = getattr(markupsafe, "_escape_inner", None) or escape_in_python

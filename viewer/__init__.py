"""The trace viewer: a read-only web app over the store (``spanwise ui``, and the same
app inside ``spanwise server``), and the notebook view of a ``Trace``.

``_present`` turns traces into the page's JSON, ``_pages`` pages the list over the
store's search, ``_app`` is the Starlette app (imported on demand: Starlette is not
needed to render a trace in a notebook), ``_notebook`` the self-contained HTML that
``Trace._repr_html_`` returns; ``static/`` the page itself (plain ES modules and CSS, no
build step, no CDN). Importing this package makes a ``Trace`` render as a tree and
timeline in a notebook (the model sits below the viewer, so the viewer registers itself).
"""

from __future__ import annotations

from spanwise.model._model import set_html_renderer

from ._notebook import render_html

set_html_renderer(render_html)

__all__ = ["render_html"]

"""The form that publishes the figures of the period a dashboard shows (issue 12 §3).

Its own module, so that the dashboard (``app.web.indicator``, which offers it) and the view
that handles it (``app.web.indicator_publications``, which renders the dashboard again
with the service's refusal) both use it without importing each other. The form holds the
note only: the period and scope are the dashboard's, carried in the form's action URL,
and what may be published is ``linkages.indicator.publications.publish``'s to say.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField

from core.i18n import _l


class PublishForm(FlaskForm):
    """Publishing: an optional note (its length is the service's to check, beside it)."""

    note = TextAreaField(
        _l("Note (optional)"),
        description=_l("Shown with the published figures, e.g. the report they were "
                       "sent in."),
        render_kw={"rows": 2},
    )


__all__ = ["PublishForm"]

"""The public pages a consumer reaches by scanning a label: the trace page and the report
form (no sign-in, no JavaScript, a small standalone template). ``bp`` is registered with
the other HTML blueprints (``app.web.WEB_MODULES``)."""

from app.public.views import bp

__all__ = ["bp"]

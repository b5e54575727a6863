"""Translation markers for domain code.

Domain packages mark user-facing strings with these so that every message lands in the
catalogs; the lazy variant renders in the locale of the request that finally shows it.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

__all__ = ["_", "_l", "ngettext"]

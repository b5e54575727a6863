"""Wide tables on a phone: the profile's yearly figures scroll inside their card, with a
visible cue that there is more to see (CSS only, no script)."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from app.auth.services import add_membership, create_user
from core.actor import OrgRole
from core.db import db
from linkages.services import cooperatives as coops
from tests.app.web_support import PASSWORD, login
from tests.factories import actor_of, make_org

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


def _rule(selector: str) -> str:
    found = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS.read_text())
    assert found, f"no rule for {selector}"
    return found.group(1)


def test_tables_scroll_inside_their_box_with_a_shadow_cue() -> None:
    rule = _rule(".table-scroll")
    assert "overflow-x: auto" in rule
    # The scrolling-shadows cue: covers that move with the content over fixed shadows.
    assert "radial-gradient" in rule
    assert "background-attachment: local, local, scroll, scroll" in rule


def test_the_profiles_yearly_figures_table_sits_in_the_scroll_wrapper(
    client: FlaskClient,
) -> None:
    org = make_org("HTX Rau an toàn Sóc Sơn")
    admin = create_user("chairwoman@example.vn", PASSWORD)
    add_membership(admin, org.id, OrgRole.ORG_ADMIN)
    db.session.refresh(admin)
    coops.put_figures(actor_of(admin, org), org.id, 2025,
                      {"official_members": 3, "revenue_vnd": 2_800_000_000})
    db.session.commit()
    login(client, admin.email)
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    wrapper = re.search(r'<div class="table-scroll"[^>]*data-testid="figures-scroll"[^>]*>\s*'
                        r'<table class="figures">', page)
    assert wrapper, "the figures table is not inside its scroll wrapper"
    assert "2.800.000.000" in page  # Vietnamese number format

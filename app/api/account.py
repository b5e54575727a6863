"""The caller's own account: who am I, my organisations, my API tokens."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from app.api.base import ApiBlueprint, SelectPage, StrictSchema
from app.auth import services as accounts
from app.auth.current import current_actor
from core.actor import require_authenticated
from core.db import db

blp = ApiBlueprint(
    "api_account", __name__, url_prefix="/api/me", description="The caller's own account."
)


class MembershipOut(ma.Schema):
    organisation_id = ma.fields.Integer()
    role = ma.fields.String(attribute="role.value")


class MeOut(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    full_name = ma.fields.String()
    platform_role = ma.fields.String(allow_none=True)
    province_code = ma.fields.String(allow_none=True)
    memberships = ma.fields.List(ma.fields.Nested(MembershipOut))
    acting_organisation_id = ma.fields.Integer(allow_none=True)


class TokenOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    prefix = ma.fields.String()
    organisation_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    last_used_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


@blp.route("")
class Me(MethodView):
    @blp.response(200, MeOut)
    def get(self):  # type: ignore[no-untyped-def]
        """The authenticated user and the organisation the token acts for."""
        actor = current_actor()
        user = accounts.get_user(actor)
        return {
            "id": user.id,
            "email": user.email,
            "full_name": user.full_name,
            "platform_role": user.platform_role.value if user.platform_role else None,
            "province_code": user.province_code,
            "memberships": user.memberships,
            "acting_organisation_id": actor.organisation_id,
        }


class TokenIn(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    organisation_id = ma.fields.Integer(allow_none=True, load_default=None)


class IssuedTokenOut(TokenOut):
    token = ma.fields.String(metadata={"description": "The secret, shown this once only."})


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    @blp.paginate(SelectPage)
    def get(self):  # type: ignore[no-untyped-def]
        """My API tokens (never their secrets: those are shown once, at creation)."""
        actor = current_actor()
        require_authenticated(actor)
        return accounts.tokens_of(actor)

    @blp.arguments(TokenIn)
    @blp.response(201, IssuedTokenOut)
    def post(self, data: dict):  # type: ignore[no-untyped-def]
        """Create another token of mine (e.g. one bound to one of my organisations)."""
        user = accounts.get_user(current_actor())
        issued = accounts.create_token(user, data["name"], data["organisation_id"])
        db.session.commit()
        fields = TokenOut().fields
        return {**{name: getattr(issued.token, name) for name in fields}, "token": issued.plaintext}


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @blp.response(204)
    def delete(self, token_id: int):  # type: ignore[no-untyped-def]
        """Revoke a token at once; later requests with it answer 401."""
        accounts.revoke_token(current_actor(), token_id)
        db.session.commit()

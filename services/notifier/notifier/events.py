"""What the notifier reads from the events it consumes (lenient: only the fields it needs)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from shared.tokens import is_crockford, normalise_crockford

AUTH_KEY_LENGTH = 8  # R10

CONSUMED = ("code.issued", "code.revoked", "code.used")


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class CodeIssuedRead(_Lenient):
    code_id = fields.UUID(required=True)
    expires_at = fields.AwareDateTime(required=True)
    supersedes = fields.List(fields.UUID(), load_default=list)


class CodeRevokedRead(_Lenient):
    code_id = fields.UUID(required=True)
    reason = fields.String(load_default="revoked")


class CodeUsedRead(_Lenient):
    code_id = fields.UUID(required=True)


class MailTaskArgs(_Lenient):
    """The auth-key mail task's kwargs (docs/CONVENTIONS.md)."""

    application_id = fields.UUID(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    auth_key = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(required=True)

    @validates("auth_key")
    def _key(self, value: str, **_kwargs) -> None:
        if not is_crockford(normalise_crockford(value), AUTH_KEY_LENGTH):
            raise ValidationError("Not an 8-character auth key.")

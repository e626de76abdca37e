"""The public API's request schemas (strict: unknown fields are refused), whose `post_load`
builds the use case's command; its response schemas; and the lenient schemas of the
events registration consumes (it reads only what it needs, ignoring unknown fields)."""

from __future__ import annotations

from datetime import date

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from registration import commands, inputs, messages
from registration.commands import (
    CompletePasswordReset,
    EndSession,
    LogIn,
    RegisterPassword,
    RequestPasswordReset,
    SubmitApplication,
)
from shared.contracts import events as catalog
from shared.contracts import formats
from shared.tokens import is_crockford, normalise_crockford

_TOKEN = validate.Regexp(r"^[A-Za-z0-9_-]{20,100}$", error=messages.BAD_TOKEN)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Text(fields.String):
    """A string without control characters (NUL, CR, LF...), at most `max_length` long."""

    def __init__(self, *, max_length: int = 200, rule=None, **kwargs):
        kwargs.setdefault("metadata", {})["maxLength"] = max_length
        super().__init__(**kwargs)
        self.max_length = max_length
        self.rule = rule

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_length:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        if inputs.has_control_characters(text):
            raise ValidationError("Must not contain control characters.")
        if self.rule is None:
            return text
        try:
            return self.rule(text)
        except inputs.InputProblem as problem:
            raise ValidationError(str(problem)) from None


class ApplicationRequest(_Strict):
    """Steps 1-2: the terms agreed and the identity entered (R6, R7, R8, R1 format)."""

    privacy_policy_version = Text(max_length=50, load_default=None)
    terms_of_use_version = Text(max_length=50, load_default=None)
    email = Text(required=True, max_length=200, rule=inputs.check_email)
    email_confirmation = Text(required=True, max_length=200)
    job_seeker_number = Text(required=True, max_length=40,
                             rule=inputs.normalise_job_seeker_number)
    birth_date = Text(required=True, max_length=40)
    account_creation_code = Text(required=True, max_length=40, rule=inputs.normalise_code)

    def __init__(self, *, today: date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates_schema(skip_on_field_errors=False)
    def _confirm_and_date(self, data, **_kwargs):
        errors: dict[str, list[str]] = {}
        confirmation = data.get("email_confirmation")
        if "email" in data and confirmation is not None and confirmation != self._raw_email:
            errors["email_confirmation"] = [messages.EMAIL_CONFIRMATION_DIFFERS]
        if isinstance(data.get("birth_date"), str):
            try:
                data["birth_date"] = inputs.parse_birth_date(data["birth_date"], self.today)
            except inputs.InputProblem as problem:
                errors["birth_date"] = [str(problem)]
        if errors:
            raise ValidationError(errors)

    def load(self, data, **kwargs):
        # The confirmation is compared with what was typed, not the normalised address.
        self._raw_email = data.get("email") if isinstance(data, dict) else None
        return super().load(data, **kwargs)

    @post_load
    def _command(self, data, **_kwargs) -> SubmitApplication:
        data.pop("email_confirmation")
        return SubmitApplication(**data)


class PasswordRegistrationRequest(_Strict):
    """Step 3: the application token, the auth key and the password (R10, R11)."""

    application_token = Text(required=True, max_length=100, validate=_TOKEN)
    auth_key = Text(required=True, max_length=40, rule=inputs.normalise_auth_key)
    password = Text(required=True, max_length=200)
    password_confirmation = Text(required=True, max_length=200)

    @post_load
    def _command(self, data, **_kwargs) -> RegisterPassword:
        return RegisterPassword(**data)


class SessionRequest(_Strict):
    """Login (R13): email and password, checked only for type and size here."""

    email = Text(required=True, max_length=200)
    password = Text(required=True, max_length=200)

    @post_load
    def _command(self, data, **_kwargs) -> LogIn:
        return LogIn(**data)


# --- R15 forgotten password ------------------------------------------------------------
def _reset_key(raw: str) -> str:
    """R15: 8 Crockford characters (R10's key), normalised like the code."""
    value = normalise_crockford(raw)
    if not is_crockford(value, formats.KEY_LENGTH):
        raise inputs.InputProblem(messages.BAD_RESET_KEY)
    return value


class PasswordResetRequest(_Strict):
    """R15: email, job-seeker number and birth date (R6 and R7 formats); the answer is the
    same whether or not they match an account."""

    email = Text(required=True, max_length=200, rule=inputs.check_email)
    job_seeker_number = Text(required=True, max_length=40,
                             rule=inputs.normalise_job_seeker_number)
    birth_date = Text(required=True, max_length=40)

    def __init__(self, *, today: date | None, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    @validates_schema
    def _date(self, data, **_kwargs):
        if isinstance(data.get("birth_date"), str):
            try:
                data["birth_date"] = inputs.parse_birth_date(data["birth_date"], self.today)
            except inputs.InputProblem as problem:
                raise ValidationError({"birth_date": [str(problem)]}) from None

    @post_load
    def _command(self, data, **_kwargs) -> RequestPasswordReset:
        return RequestPasswordReset(**data)


class PasswordResetCompletionRequest(_Strict):
    """R15: the reset token, the mailed reset key and the new password (R11)."""

    reset_token = Text(required=True, max_length=100, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{20,100}$", error=messages.BAD_RESET_TOKEN))
    reset_key = Text(required=True, max_length=40, rule=_reset_key)
    password = Text(required=True, max_length=200)
    password_confirmation = Text(required=True, max_length=200)

    @post_load
    def _command(self, data, **_kwargs) -> CompletePasswordReset:
        return CompletePasswordReset(**data)


class PasswordResetAccepted(Schema):
    reset_token = fields.String(required=True, metadata={
        "description": "always given, whether or not anything matched"})
    reset_key_expires_at = fields.String(required=True)


class PasswordResetCompleted(Schema):
    email = fields.String(required=True)


class TermsDocument(Schema):
    version = fields.String(required=True)
    url = fields.String(required=True)


class TermsResponse(Schema):
    privacy_policy = fields.Nested(TermsDocument, required=True)
    terms_of_use = fields.Nested(TermsDocument, required=True)


class ApplicationCreated(Schema):
    application_token = fields.String(required=True)
    email = fields.String(required=True)
    auth_key_expires_at = fields.String(required=True)


class AccountCreated(Schema):
    account_id = fields.UUID(required=True)
    email = fields.String(required=True)


class SessionCreated(Schema):
    session_token = fields.String(required=True)
    expires_at = fields.String(required=True)


class Me(Schema):
    email = fields.String(required=True)
    job_seeker_number = fields.String(required=True)
    registered_at = fields.String(required=True)


# --- R19: the account's sessions -----------------------------------------------------------
class EndSessionRequest(_Strict):
    """The path's session id (a UUID, never a token), with the bearer token of the caller."""

    session_id = fields.UUID(required=True, error_messages={"invalid_uuid": messages.BAD_SESSION_ID})

    def __init__(self, *, session_token: str, **kwargs):
        super().__init__(**kwargs)
        self.session_token = session_token

    @post_load
    def _command(self, data, **_kwargs) -> EndSession:
        return EndSession(session_token=self.session_token, session_id=data["session_id"])


class SessionInfo(Schema):
    session_id = fields.UUID(required=True, metadata={
        "description": "the session's public id (not its token)"})
    current = fields.Boolean(required=True, metadata={"description": "the session asking"})
    started_at = fields.String(required=True)
    last_used_at = fields.String(required=True, metadata={
        "description": "written at most once a minute"})
    client_address = fields.String(required=True, metadata={
        "description": "the login's address masked to /24 (IPv6 /48), or 'unknown'"})
    browser = fields.String(required=True, metadata={
        "description": "browser family from the login's User-Agent, e.g. 'Firefox on Windows'"})


# --- the events registration reads more leniently than the catalog (consumer.py) ------------
# The others are read through the catalog's own schemas (`reads=` field names). These two
# keep what registration always accepted (docs/DECISIONS.md): a revocation reason code-issuer
# may add later, and a code.issued from before `supersedes` existed.
class CodeIssued(catalog.CodeIssued):
    class Meta:
        unknown = EXCLUDE

    supersedes = fields.List(fields.UUID(), load_default=list)


class CodeRevoked(catalog.CodeRevoked):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=100))


# --- R16-R18 with a session ---------------------------------------------------------------
def _change_key(raw: str) -> str:
    """R17: the key mailed to the new address, 8 Crockford characters normalised (R10)."""
    value = normalise_crockford(raw)
    if not is_crockford(value, formats.KEY_LENGTH):
        raise inputs.InputProblem(messages.BAD_CHANGE_KEY)
    return value


class PasswordChangeRequest(_Strict):
    """R16: the current password and the new one; R11 is checked by the use case, which
    knows the account's email and number."""

    current_password = Text(required=True, max_length=200)
    password = Text(required=True, max_length=200)
    password_confirmation = Text(required=True, max_length=200)

    @post_load
    def _command(self, data, **_kwargs) -> commands.ChangePassword:
        return commands.ChangePassword(**data)


class EmailChangeRequest(_Strict):
    """R17: the current password and the new address (R6's format, as step 2's)."""

    current_password = Text(required=True, max_length=200)
    email = Text(required=True, max_length=200, rule=inputs.check_email)
    email_confirmation = Text(required=True, max_length=200)

    @validates_schema(skip_on_field_errors=False)
    def _confirm(self, data, **_kwargs):
        confirmation = data.get("email_confirmation")
        if "email" in data and confirmation is not None and confirmation != self._raw_email:
            raise ValidationError({"email_confirmation": [messages.EMAIL_CONFIRMATION_DIFFERS]})

    def load(self, data, **kwargs):
        # As at step 2: the confirmation is compared with what was typed.
        self._raw_email = data.get("email") if isinstance(data, dict) else None
        return super().load(data, **kwargs)

    @post_load
    def _command(self, data, **_kwargs) -> commands.RequestEmailChange:
        return commands.RequestEmailChange(current_password=data["current_password"],
                                  email=data["email"])


class EmailChangeConfirmationRequest(_Strict):
    """R17: the change token and the key mailed to the new address."""

    change_token = Text(required=True, max_length=100, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{20,100}$", error=messages.BAD_CHANGE_TOKEN))
    key = Text(required=True, max_length=40, rule=_change_key)

    @post_load
    def _command(self, data, **_kwargs) -> commands.ConfirmEmailChange:
        return commands.ConfirmEmailChange(**data)


class WithdrawalRequest(_Strict):
    """R18: the current password."""

    current_password = Text(required=True, max_length=200)

    @post_load
    def _command(self, data, **_kwargs) -> commands.Withdraw:
        return commands.Withdraw(**data)


class EmailChangeAccepted(Schema):
    change_token = fields.String(required=True)
    key_expires_at = fields.String(required=True)


class EmailChangeConfirmed(Schema):
    email = fields.String(required=True)

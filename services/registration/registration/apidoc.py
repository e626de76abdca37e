"""The OpenAPI document of the public API, from the marshmallow schemas."""

from __future__ import annotations

from registration import schemas
from shared.openapi import Operation, build


def document() -> dict:
    ops = [
        Operation("/v1/terms", "get", "Current privacy policy and terms of use versions",
                  {200: schemas.TermsResponse}, errors=(429,), tags=("step 1",)),
        Operation("/v1/applications", "post",
                  "Steps 1-2: agree, identify with number, birth date and code; mails the auth key",
                  {201: schemas.ApplicationCreated},
                  body=schemas.ApplicationRequest(today=None),
                  errors=(400, 409, 410, 415, 422, 429), tags=("step 2",)),
        Operation("/v1/password-registrations", "post",
                  "Step 3: set the password with the mailed auth key; opens the account",
                  {201: schemas.AccountCreated}, body=schemas.PasswordRegistrationRequest,
                  errors=(400, 404, 409, 410, 415, 422, 429), tags=("step 3",)),
        Operation("/v1/sessions", "post", "Log in with email and password",
                  {201: schemas.SessionCreated}, body=schemas.SessionRequest,
                  errors=(401, 415, 422, 429), tags=("login",)),
        Operation("/v1/me", "get", "The logged-in job seeker", {200: schemas.Me},
                  errors=(401, 429), auth=True, tags=("login",)),
        Operation("/v1/sessions/current", "delete", "Log out", {204: None},
                  errors=(401, 429), auth=True, tags=("login",)),
    ]
    return build("jobportal registration", "1.0.0", ops,
                 security_scheme={"type": "http", "scheme": "bearer"})

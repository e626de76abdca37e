"""The mails in English (for a person who asked for English): the same kinds and fields
as ja.py."""

from notifier.templates.kinds import Template

UNKNOWN = "unknown"

REPLACES_SUBJECT = "[Resent: the earlier mail's key no longer works] "
REPLACES = """\
This mail replaces the "Password registration application received" mail we sent
before: the auth key in that mail no longer works. Please enter the key in this mail.

"""

FOOTER = """
------------------------------------------------------------
{sender_name}
{service_url}
{contact}
This mail was sent from an address that cannot receive replies.
"""

_KEY_BLOCK = """\
* {key_name}
  {{key}}

* The {key_name_lower} is valid until
  {{deadline}}
  It stops working {{minutes}} minutes after this mail was sent.
"""

TEMPLATES = {
    "auth_key": Template("Password registration application received", """\
{replaces}We have received your application to register a password for Job Seeker My Page.

""" + _KEY_BLOCK.format(key_name="Auth key", key_name_lower="auth key") + """
* What to do next
  On the "Password registration" screen you opened when you applied, enter the
  password you want (twice) and the auth key above, and press "Done".
  If the key has expired or you closed the "Password registration" screen, please
  start the password registration again from the beginning.

* If you did not apply
  Someone may have typed your address by mistake. Please delete this mail. No
  password is registered and no account is opened unless the auth key is entered.
"""),
    "password_reset_key": Template("Your key to reset your password", """\
We have received a request to reset the password of your Job Seeker My Page account.

""" + _KEY_BLOCK.format(key_name="Reset key", key_name_lower="reset key") + """
* What to do next
  On the "Reset password" screen you opened when you asked, enter your new password
  (twice) and the key above, and press "Done". If the key has expired, please ask
  again from the beginning.

* If you did not ask
  Please delete this mail. Your password does not change unless the key is entered.
"""),
    "email_change_key": Template("Your key to change your email address", """\
We have received a request to change the email address of a Job Seeker My Page
account to this address.

""" + _KEY_BLOCK.format(key_name="Key", key_name_lower="key") + """
* What to do next
  On the "Change email address" screen you opened when you asked, enter the key
  above and press "Done". Until then, please log in with your current address.

* If you did not ask
  Please delete this mail. No address changes unless the key is entered.
"""),
    "registration_complete": Template("Your password is registered", """\
Your password for Job Seeker My Page is registered.

* Registered at
  {occurred_at}

* Log in
  Log in with this email address and your password at:
  {service_url}

* If this was not you
  Someone may have used your account creation code. Please contact us at once
  (see below): we will stop the account and issue you a new account creation code.
"""),
    "password_changed": Template("Your password was changed", """\
The password of your Job Seeker My Page account was changed.
You have been logged out everywhere else.

* Changed at
  {occurred_at}

* If this was not you
  Someone may be using your account. Please reset your password with
  "Forgot your password?" on the login screen, and contact us (see below).
"""),
    "email_changed": Template("Your email address was changed", """\
The email address of your Job Seeker My Page account was changed to another address.
Mails from Job Seeker My Page will no longer come to this address.
You have been logged out everywhere else.

* Changed at
  {occurred_at}

* If this was not you
  Someone may be using your account. Please contact us at once (see below).
"""),
    "new_login": Template("New login to your account", """\
Someone logged in to your Job Seeker My Page account from a device or place not seen
before.

* When
  {occurred_at}

* From (partly hidden)
  {client_address}

* Browser
  {browser}

* If this was not you
  Please reset your password with "Forgot your password?" on the login screen. On My
  Page, "Devices logged in" lets you log out every other device.
"""),
    "account_closed": Template("Your account is closed", """\
Your Job Seeker My Page account is closed. Its email address and password were erased,
and nobody can log in to it any more.

* Closed at
  {occurred_at}

* To use My Page again
  Please get a new account creation code at the Hello Work counter.

* If this was not you
  Please contact us at once (see below).
"""),
}

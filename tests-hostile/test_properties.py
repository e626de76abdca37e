"""Properties of every validator and normaliser of what people type (R1, R6, R7, R10, R11),
in both services, fed arbitrary Unicode: full-width forms, look-alike letters and
digits, and control characters. Pure functions: no server needed."""

import re
import string
import unicodedata
from datetime import date

import pytest
from code_issuer import domain as office
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from registration import inputs, schemas
from registration.passwords import COMMON_PASSWORDS, user_inputs
from zxcvbn import zxcvbn

from shared.tokens import CROCKFORD

TODAY = date(2026, 11, 25)
PROFILE = settings(max_examples=400, deadline=None, derandomize=True)

FULL_WIDTH = {ch: chr(ord(ch) + 0xFEE0) for ch in string.digits + string.ascii_letters + "-"}
# Letters and digits of other scripts that look like Latin ones: never to be read as them.
LOOK_ALIKES = {"A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "P": "Р",
               "T": "Т", "X": "Х", "Y": "У", "Z": "Ζ", "N": "Ν", "0": "٠", "1": "١", "2": "۲",
               "3": "३", "5": "৫", "7": "७", "9": "٩"}
HYPHEN_LIKES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63\uff0d"
CONTROLS = st.characters(categories=["Cc", "Cf"])
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)

codes = st.text(st.sampled_from(CROCKFORD), min_size=10, max_size=10)
keys = st.text(st.sampled_from(CROCKFORD), min_size=8, max_size=8)
numbers = st.builds(lambda a, b: f"{a}-{b}", st.text(st.sampled_from(string.digits), min_size=5,
                                                     max_size=5),
                    st.text(st.sampled_from(string.digits), min_size=1, max_size=8))
past_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 24))


def full_width(text: str) -> str:
    return "".join(FULL_WIDTH.get(ch, ch) for ch in text)


def refused(rule, text) -> bool:
    try:
        rule(text)
    except inputs.InputProblem:
        return True
    return False


# --- R1 / R10: codes and auth keys ---------------------------------------------------------
@PROFILE
@given(ANY_TEXT)
@example("ABCDE-FGHJK")
@example("ａｂｃｄｅ　ｆｇｈｊｋ")
def test_r1_both_services_read_any_typed_code_the_same_way_or_refuse_it(text):
    mine = None if refused(inputs.normalise_code, text) else inputs.normalise_code(text)
    assert mine == office.normalise_code(text)  # the digests must agree
    if mine is not None:
        assert len(mine) == 10 and set(mine) <= set(CROCKFORD)
        assert inputs.normalise_code(mine) == mine


@PROFILE
@given(codes, st.data())
def test_r1_full_width_lower_case_grouped_and_i_l_o_spellings_read_as_the_printed_code(code, data):
    typed = code.lower() if data.draw(st.booleans()) else code
    typed = "".join(data.draw(st.sampled_from(["I", "l", "L", "i"])) if ch == "1"
                    else data.draw(st.sampled_from(["O", "o"])) if ch == "0" else ch
                    for ch in typed)
    typed = f"{typed[:5]}{data.draw(st.sampled_from(['', ' ', '-', '　', ' - ']))}{typed[5:]}"
    if data.draw(st.booleans()):
        typed = full_width(typed)
    assert inputs.normalise_code(typed) == code
    assert office.normalise_code(typed) == code


@PROFILE
@given(codes, st.integers(0, 9), st.sampled_from(sorted(LOOK_ALIKES)))
def test_r1_a_look_alike_letter_or_digit_of_another_script_is_refused(code, at, latin):
    typed = code[:at] + LOOK_ALIKES[latin] + code[at + 1:]
    assert refused(inputs.normalise_code, typed)
    assert office.normalise_code(typed) is None


@PROFILE
@given(keys, st.data())
def test_r10_auth_keys_are_read_like_codes_and_look_alikes_refused(key, data):
    typed = full_width(key.lower()) if data.draw(st.booleans()) else key.lower()
    assert inputs.normalise_auth_key(typed) == key
    latin = data.draw(st.sampled_from(sorted(LOOK_ALIKES)))
    assert refused(inputs.normalise_auth_key, key[:3] + LOOK_ALIKES[latin] + key[4:])
    text = data.draw(ANY_TEXT)
    if not refused(inputs.normalise_auth_key, text):
        assert re.fullmatch(f"[{CROCKFORD}]{{8}}", inputs.normalise_auth_key(text))


# --- R7: job-seeker number and birth date ---------------------------------------------------
@PROFILE
@given(ANY_TEXT)
@example("１２３４５－１２３４５６７")
@example("12345\u30fc1")
def test_r7_both_services_read_any_typed_number_the_same_way_or_refuse_it(text):
    mine = None if refused(inputs.normalise_job_seeker_number, text) \
        else inputs.normalise_job_seeker_number(text)
    assert mine == office.normalise_number(text)
    if mine is not None:
        assert re.fullmatch(r"[0-9]{5}-[0-9]{1,8}", mine)


@PROFILE
@given(numbers, st.sampled_from(HYPHEN_LIKES + "-"), st.booleans())
def test_r7_full_width_digits_and_hyphen_look_alikes_are_accepted(number, hyphen, wide):
    head, tail = number.split("-")
    typed = f"{full_width(head) if wide else head}{hyphen}{full_width(tail) if wide else tail}"
    assert inputs.normalise_job_seeker_number(typed) == number
    assert office.normalise_number(typed) == number


@PROFILE
@given(numbers, st.integers(0, 4), st.sampled_from("0123579"))
def test_r7_digits_of_other_scripts_are_refused_in_numbers(number, at, digit):
    typed = number[:at] + LOOK_ALIKES[digit] + number[at + 1:]
    assert refused(inputs.normalise_job_seeker_number, typed)
    assert office.normalise_number(typed) is None


@PROFILE
@given(ANY_TEXT)
@example("１９９０－０４－０１")
@example("2000-02-30")
def test_r7_a_birth_date_the_office_accepts_is_read_the_same_by_registration(text):
    theirs = office.parse_birth_date(text, TODAY)
    try:
        mine = inputs.parse_birth_date(text, TODAY)
    except inputs.InputProblem:
        mine = None
    if theirs is not None:
        assert mine == theirs
    if mine is not None:
        assert date(1900, 1, 1) <= mine < TODAY


@PROFILE
@given(past_dates, st.booleans(), st.sampled_from(HYPHEN_LIKES + "-"))
def test_r7_any_real_past_date_is_accepted_full_width_or_not(born, wide, hyphen):
    typed = born.isoformat().replace("-", hyphen)
    typed = full_width(typed) if wide else typed
    assert inputs.parse_birth_date(typed, TODAY) == born
    assert office.parse_birth_date(typed, TODAY) == born


@PROFILE
@given(st.dates(min_value=TODAY, max_value=date(2200, 1, 1)) | st.dates(max_value=date(1899, 12, 31)))
def test_r7_today_future_and_pre_1900_dates_are_refused(born):
    assert refused(lambda t: inputs.parse_birth_date(t, TODAY), born.isoformat())
    assert office.parse_birth_date(born.isoformat(), TODAY) is None


# --- R6: email ------------------------------------------------------------------------------
ATOM = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.lists(st.text(st.sampled_from(ATOM), min_size=1, max_size=8), min_size=1,
             max_size=3).map(".".join),
    st.text(st.sampled_from(string.ascii_lowercase + string.digits), min_size=1, max_size=12),
    st.sampled_from(["jp", "com", "co.jp", "example"]),
)


@PROFILE
@given(ANY_TEXT | emails)
def test_r6_an_accepted_email_is_half_width_short_dot_atom_and_stable(text):
    if refused(inputs.check_email, text):
        return
    stored = inputs.check_email(text)
    local, _, domain = stored.rpartition("@")
    assert stored.isascii() and len(stored) <= 100
    assert "." in domain and "@" not in local
    assert not local.startswith(".") and not local.endswith(".") and ".." not in local
    assert set(local) <= set(ATOM + ".")
    assert inputs.check_email(stored) == stored


@PROFILE
@given(emails)
def test_r6_well_formed_addresses_are_accepted(email):
    assume(len(email) <= 100)
    assert inputs.check_email(email).lower() == email.lower()


@PROFILE
@given(emails, st.sampled_from(["leading", "before_at", "double", "bracket", "quoted",
                                "no_dot", "full_width", "look_alike", "control"]), st.data())
def test_r6_the_manuals_refused_forms_and_unicode_tricks_are_refused(email, how, data):
    local, _, domain = email.partition("@")
    broken = {
        "leading": f".{local}@{domain}",
        "before_at": f"{local}.@{domain}",
        "double": f"{local[:1]}..{local[1:]}@{domain}",
        "bracket": f"{local}[x@{domain}",
        "quoted": f'"{local}"@{domain}',
        "no_dot": f"{local}@{domain.replace('.', '')}",
        "full_width": full_width(local) + "@" + domain,
        "look_alike": local + "@" + domain.replace(domain[0], "а", 1),
        "control": local + data.draw(CONTROLS) + "@" + domain,
    }[how]
    assume(broken != email)
    assert refused(inputs.check_email, broken)


# --- R11: password --------------------------------------------------------------------------
def password_ok(password: str, email: str, number: str) -> bool:
    """The manual's rule, written again independently of inputs.password_problems, and on
    top of it zxcvbn's estimate with the person's data as user inputs (issue 13 item 10)."""
    local = email.split("@")[0].lower()
    return (8 <= len(password) <= 32
            and all(33 <= ord(ch) <= 126 for ch in password)
            and any(ch in string.digits for ch in password)
            and any(ch in string.ascii_letters for ch in password)
            and any(ch in string.punctuation for ch in password)
            and (not local or local not in password.lower())
            and number not in password and number.replace("-", "") not in password
            and password.lower() not in COMMON_PASSWORDS
            and zxcvbn(password, user_inputs=user_inputs(email, number))["guesses"] >= 10**8)


passwords = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=6,
                    max_size=34) | ANY_TEXT


@PROFILE
@given(passwords, emails, numbers)
@example("Ｐａｓｓｗｏｒｄ１！", "taro@example.jp", "12345-1")
@example("Hello-w0rk-2026", "taro@example.jp", "12345-1")
@example("password1!", "taro@example.jp", "12345-1")
def test_r11_the_password_policy_accepts_exactly_the_manuals_rule_and_strong_enough(
        password, email, number):
    problems = inputs.password_problems(password, password, email=email,
                                        job_seeker_number=number, common=COMMON_PASSWORDS)
    assert (problems == {}) == password_ok(password, email, number)
    mismatch = inputs.password_problems(password, password + "x", email=email,
                                        job_seeker_number=number, common=COMMON_PASSWORDS)
    assert mismatch["password_confirmation"]


# --- every field refuses control characters, at the schema ----------------------------------
def application_body():
    return {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
            "email": "taro@example.jp", "email_confirmation": "taro@example.jp",
            "job_seeker_number": "12345-1234567", "birth_date": "1990-04-01",
            "account_creation_code": "ABCDE-FGHJK"}


BODIES = {
    "application": (lambda: schemas.ApplicationRequest(today=TODAY), application_body),
    "password registration": (schemas.PasswordRegistrationRequest, lambda: {
        "application_token": "A" * 43, "auth_key": "ABCD-EFGH", "password": "Hello-w0rk-2026",
        "password_confirmation": "Hello-w0rk-2026"}),
    "session": (schemas.SessionRequest, lambda: {"email": "taro@example.jp",
                                                 "password": "Hello-w0rk-2026"}),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_unchanged_bodies_are_valid(name):
    make_schema, make_body = BODIES[name]
    make_schema().load(make_body())


@PROFILE
@given(st.sampled_from(sorted(BODIES)), st.data(), CONTROLS, st.integers(0, 60))
def test_a_control_character_in_any_field_is_refused_naming_that_field(name, data, control, at):
    make_schema, make_body = BODIES[name]
    body = make_body()
    field = data.draw(st.sampled_from(sorted(body)))
    value = body[field]
    body[field] = value[:at] + control + value[at:]
    with pytest.raises(ValidationError) as refused_:
        make_schema().load(body)
    assert field in refused_.value.messages


@PROFILE
@given(ANY_TEXT)
def test_control_characters_are_recognised_wherever_they_are(text):
    expected = any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)
    assert inputs.has_control_characters(text) == expected

import time
from datetime import date

import pytest
from registration.inputs import (
    InputProblem,
    canonical_email,
    check_email,
    normalise_auth_key,
    normalise_code,
    normalise_job_seeker_number,
    parse_birth_date,
    password_problems,
)
from registration.messages import FIELDS, MESSAGES
from registration.passwords import (
    COMMON_PASSWORDS,
    PERSONAL,
    TOO_GUESSABLE,
    strength_messages,
    user_inputs,
)

TODAY = date(2026, 11, 25)


# --- R6 email -------------------------------------------------------------------------
@pytest.mark.parametrize("email, reason", [
    (".abcd@example.co.jp", "The email must not start with a period."),
    ("abcd.@example.co.jp", "The email must not have a period right before the @."),
    ("ab..cd@example.co.jp", "The email must not have consecutive periods."),
    ("ab[cd@example.co.jp", "Not a valid email address."),
])
def test_r6_the_manuals_four_examples_are_refused_with_their_own_reason(email, reason):
    with pytest.raises(InputProblem, match=reason.replace(".", r"\.")):
        check_email(email)


@pytest.mark.parametrize("email", [
    "abcd. @example.co.jp",  # the manual's example as printed, with its space
    '"ab cd"@example.co.jp',  # quoted local part
    "abcd@localhost",  # no domain dot
    "abcd@[192.0.2.1]",  # domain literal
    "ab(cd)@example.co.jp",
    "ab,cd@example.co.jp",
    "abcd@example..jp",
    "abcd",
    "@example.co.jp",
    "Taro <taro@example.co.jp>",
])
def test_r6_addresses_outside_the_dot_atom_rules_are_refused(email):
    with pytest.raises(InputProblem):
        check_email(email)


def test_r6_at_most_100_half_width_characters():
    local = "a" * 64
    domain = "b" * (100 - len(local) - 1 - len(".jp")) + ".jp"
    assert len(f"{local}@{domain}") == 100
    assert check_email(f"{local}@{domain}") == f"{local}@{domain}"
    with pytest.raises(InputProblem, match="at most 100"):
        check_email(f"{local}@b{domain}")


@pytest.mark.parametrize("email", ["ｔａｒｏ@example.co.jp", "太郎@example.co.jp", "taro@例え.jp"])
def test_r6_full_width_and_non_ascii_addresses_are_refused(email):
    with pytest.raises(InputProblem, match="half-width"):
        check_email(email)


@pytest.mark.parametrize("email", ["taro\x00@example.co.jp", "taro@example.co.jp\r\nBcc: x@y.jp"])
def test_r6_control_characters_and_header_injection_are_refused(email):
    with pytest.raises(InputProblem, match="control"):
        check_email(email)


def test_r6_good_addresses_pass_and_the_domain_is_lower_cased():
    assert check_email("Taro.Yamada+jobs@Example.CO.JP") == "Taro.Yamada+jobs@example.co.jp"
    assert check_email("a_b-c!#$%&'*/=?^`{|}~@mail.example.jp")


def test_r6_one_account_per_email_compares_case_insensitively():
    assert canonical_email("Taro@Example.jp") == canonical_email("taro@example.JP")


@pytest.mark.parametrize("typed", ["Taro.Yamada+Jobs@Example.CO.JP", "TARO.YAMADA+JOBS@EXAMPLE.CO.JP",
                                   "taro.yamada+jobs@example.co.jp", "tArO.yAmAdA+jObS@eXaMpLe.Co.Jp"])
def test_item3_the_canonical_email_is_the_ascii_address_lower_cased(typed):
    assert canonical_email(typed) == "taro.yamada+jobs@example.co.jp"


@pytest.mark.parametrize("typed", [
    "\u0130chiro@example.jp",  # İ: Python lowers it to "i̇", PostgreSQL to "i"
    "ich\u0131ro@example.jp",  # dotless ı
    "\u212aenji@example.jp",  # Kelvin sign: both lower it to "k"
    "\uff54\uff41\uff52\uff4f@example.jp",  # full-width ｔａｒｏ
    "taro@\uff45xample.jp",  # full-width in the domain
    "\u017fato@example.jp",  # long s: casefold() makes it "s"
    "\ufb01le@example.jp",  # the ligature ﬁ: NFKC makes it "fi"
    "taro@example.jp\u200b",  # zero-width space
])
def test_item3_a_non_ascii_look_alike_has_no_canonical_form(typed):
    """R6 refuses these at registration, so no account has them: they are refused, never
    folded onto an ASCII address (and never given a throttle bucket of their own)."""
    with pytest.raises(InputProblem, match="half-width"):
        canonical_email(typed)


def test_item3_the_canonical_form_is_stable():
    for typed in ("Taro@Example.jp", "a_b-c!#$%&'*/=?^`{|}~@mail.example.jp"):
        assert canonical_email(canonical_email(typed)) == canonical_email(typed)


def test_item11_a_local_part_of_65_characters_is_refused_rfc_5321_allows_64():
    assert check_email("a" * 64 + "@example.jp") == "a" * 64 + "@example.jp"
    with pytest.raises(InputProblem, match="at most 64"):
        check_email("a" * 65 + "@example.jp")


# --- R7 number and birth date -----------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [
    ("12345-1234567", "12345-1234567"),
    ("12345-1", "12345-1"),
    ("12345-12345678", "12345-12345678"),
    ("１２３４５－１２３４５６７", "12345-1234567"),
    ("12345ー1234567", "12345-1234567"),
    ("12345−1234567", "12345-1234567"),
    (" 12345-1234567 ", "12345-1234567"),
])
def test_r7_job_seeker_numbers_are_normalised(raw, expected):
    assert normalise_job_seeker_number(raw) == expected


@pytest.mark.parametrize("raw", ["123451234567", "１２３４５１２３４５６７"])
def test_r7_a_number_typed_without_its_hyphen_is_accepted(raw):
    assert normalise_job_seeker_number(raw) == "12345-1234567"


@pytest.mark.parametrize("raw", [
    "1234-1234567", "123456-1234567", "12345-", "12345-123456789", "12345", "12345123456789",
    "12345_1234567", "abcde-1234567", "١٢٣٤٥-1234567", "12345-1234567' OR '1'='1", "",
])
def test_r7_malformed_job_seeker_numbers_are_refused(raw):
    with pytest.raises(InputProblem):
        normalise_job_seeker_number(raw)


def test_r7_birth_date_is_a_real_past_western_date_full_width_accepted():
    assert parse_birth_date("1990-01-02", TODAY) == date(1990, 1, 2)
    assert parse_birth_date("１９９０－０１－０２", TODAY) == date(1990, 1, 2)
    assert parse_birth_date("1990/1/2", TODAY) == date(1990, 1, 2)
    assert parse_birth_date("2026-11-24", TODAY) == date(2026, 11, 24)


@pytest.mark.parametrize("raw, reason", [
    ("1990-02-30", "does not exist"),
    ("2023-02-29", "does not exist"),
    ("2026-11-25", "past"),  # today is not past
    ("2030-01-01", "past"),
    ("1899-12-31", "past"),
    ("H2-01-02", "YYYY-MM-DD"),
    ("平成2年1月2日", "YYYY-MM-DD"),
    ("19900102x", "YYYY-MM-DD"),
])
def test_r7_impossible_future_or_non_western_birth_dates_are_refused(raw, reason):
    with pytest.raises(InputProblem, match=reason):
        parse_birth_date(raw, TODAY)


# --- R1 / R10 formats -----------------------------------------------------------------
def test_r1_code_input_is_normalised_like_the_printed_code():
    assert normalise_code("abcde-fghjk") == "ABCDEFGHJK"
    assert normalise_code("ＡＢＣＤＥ　ＦＧＨＪＫ") == "ABCDEFGHJK"
    assert normalise_code("ol1i0-ABCDE") == "01110ABCDE"


@pytest.mark.parametrize("raw", ["ABCDEFGHJ", "ABCDEFGHJKM", "ABCDEFGHJU", "ABCDE;DROP", ""])
def test_r1_code_of_the_wrong_format_is_an_input_error(raw):
    with pytest.raises(InputProblem):
        normalise_code(raw)


def test_r10_auth_key_is_8_crockford_characters_normalised_like_r1():
    assert normalise_auth_key("abcd-efgh") == "ABCDEFGH"
    assert normalise_auth_key("ｏｌｉ1 2345") == "01112345"
    for raw in ("ABCDEFG", "ABCDEFGHJ", "ABCDEFGU"):
        with pytest.raises(InputProblem):
            normalise_auth_key(raw)


# --- R11 password ------------------------------------------------------------------------
def problems(password, confirmation=None, email="taro.y@example.jp", number="12345-1234567"):
    return password_problems(password, password if confirmation is None else confirmation,
                             email=email, job_seeker_number=number, common=COMMON_PASSWORDS)


def test_r11_a_good_password_passes():
    assert problems("Kx7#mQ2v") == {}  # 8 characters: R11's minimum stays usable
    assert problems("A1!" + "Kx7#mQ2v-zWq4&hN8+pL3=tR6?cY9") == {}


@pytest.mark.parametrize("password, reason", [
    ("Kx7#mQ2", "Use 8 to 32 characters."),
    ("A1!" + "x" * 30, "Use 8 to 32 characters."),
    ("Kx7# mQ2v", "Use half-width letters, digits and symbols only (no spaces)."),
    ("Kx7#ｍQ2v", "Use half-width letters, digits and symbols only (no spaces)."),
    ("Kx7#mQ2vé", "Use half-width letters, digits and symbols only (no spaces)."),
    ("Kxy#mQzv", "Include at least one digit."),
    ("1234#567", "Include at least one letter."),
    ("Kx7mmQ2v", "Include at least one symbol."),
    ("aTARO.Y#1", "Must not contain the email address."),
    ("x#12345-1234567", "Must not contain the job-seeker number."),
    ("x#123451234567", "Must not contain the job-seeker number."),
    ("P@ssw0rd", "This password is too common."),
    ("1qaz@WSX", "This password is too common."),
])
def test_r11_each_clause_refuses_its_password(password, reason):
    assert reason in problems(password)["password"]


def test_r11_the_confirmation_must_match():
    assert problems("Kx7#mQ2v", "Kx7#mQ2V") == {
        "password_confirmation": ["Does not match the password."]}


def test_r11_the_common_password_list_is_bundled_and_large():
    assert len(COMMON_PASSWORDS) > 20000 and "password" in COMMON_PASSWORDS


# --- item 10: strength on top of R11's composition -------------------------------------
@pytest.mark.parametrize("password", ["password1!", "Qwerty123!", "Admin123!", "Summer2024!",
                                      "Iloveyou1!", "P@ssw0rd!!", "Abcd1234!"])
def test_item10_composed_but_easy_to_guess_passwords_are_refused(password):
    assert problems(password)["password"][0] == TOO_GUESSABLE


@pytest.mark.parametrize("password", ["Kx7#mQ2v-z", "Hello-w0rk-2026", "Tanaka2024!",
                                      "vG4%nq!Z", "correct-Horse-battery-st4ple"])
def test_item10_strong_composed_passwords_are_accepted(password):
    assert problems(password) == {}


@pytest.mark.parametrize("password, email", [
    ("Ishii#2024", "mariko.ishii@example.jp"),  # a word of the email's local part
    ("Kazuhiko#77", "kazuhiko.sato@example.jp"),
    ("Minatonet#5", "taro@minato-net.jp"),  # the domain's words
    ("Hellowork#2026", "taro@example.jp"),  # the service, romanised
    ("Harowaku@2026", "taro@example.jp"),
    ("Shokugyo#2026", "taro@example.jp"),
    ("Kyushokusha#01", "taro@example.jp"),
    ("Mypage#2026", "taro@example.jp"),
])
def test_item10_the_persons_email_and_hello_work_words_count_as_guessable(password, email):
    """Each of these passes without the user inputs (zxcvbn alone estimates >= 10^8)."""
    found = problems(password, email=email)["password"]
    assert found[0] == TOO_GUESSABLE
    assert PERSONAL in found


def test_item10_the_user_inputs_are_the_email_and_number_word_by_word_and_the_context():
    inputs = user_inputs("Taro.Yamada+jobs@Example.co.jp", "12345-1234567")
    for word in ("taro.yamada+jobs", "taro", "yamada", "jobs", "example", "12345-1234567",
                 "123451234567", "12345", "1234567", "hellowork", "harowaku", "shokugyo",
                 "anteisho", "jobseeker", "mypage", "kyushokusha"):
        assert word in inputs
    assert "co" not in inputs and "jp" not in inputs  # too short to mean anything


def test_item10_the_refusal_says_why_in_japanese_and_english():
    catalog = MESSAGES
    found = problems("password1!")["password"]
    assert found[:2] == [TOO_GUESSABLE, "It is close to a commonly used password."]
    assert catalog.field(TOO_GUESSABLE, "en") == (
        "Too easy to guess: avoid common words, names, keyboard patterns and dates.")
    assert catalog.field(TOO_GUESSABLE, "ja") == (
        "推測されやすいパスワードです。よく使われる単語、名前、キーボードの並び、日付は避けてください。")
    for text in strength_messages():
        assert text in FIELDS and catalog.field(text, "ja") != text


def test_item10_keyboard_repeats_sequences_and_dates_each_get_their_reason():
    assert "Keyboard patterns such as qwerty are easy to guess." in problems(
        "Zxcvbnm,./1")["password"]
    assert "Repeated characters or words are easy to guess." in problems(
        "Ab1!Ab1!Ab1!")["password"]
    assert "Years and dates are easy to guess." in problems("Ab#19900102")["password"]


def test_item10_the_check_costs_milliseconds_even_at_32_characters():
    longest = "qwertyuiop1!QWERTYUIOP@asdfghjk"
    problems(longest)
    started = time.perf_counter()
    for _ in range(20):
        problems(longest)
    assert (time.perf_counter() - started) / 20 < 0.05

from portal.apis import ApiFailure
from portal.forms import Form


def test_api_field_errors_go_next_to_known_fields_and_others_to_the_page():
    form = Form(("email", "password"))
    form.take_failure(ApiFailure(422, "VALIDATION_FAILED", "入力内容に誤りがあります。",
                                 {"email": ["形式が正しくありません。"], "body": ["不明な項目です。"]}), "ja")
    assert form.errors == {"email": ["形式が正しくありません。"]}
    assert form.page_errors == ["入力内容に誤りがあります。", "不明な項目です。"]
    assert form.summary()[0] == (None, "入力内容に誤りがあります。")


def test_advice_is_added_once_even_when_the_api_already_says_it():
    form = Form(("auth_key",))
    form.take_failure(ApiFailure(410, "AUTH_KEY_EXPIRED",
                                 "認証キーの有効期限が過ぎています。はじめからやり直してください。"), "ja")
    assert form.errors["auth_key"][0].count("はじめからやり直してください。") == 1
    other = Form(("auth_key",))
    other.take_failure(ApiFailure(410, "AUTH_KEY_EXPIRED", "The auth key has expired."), "en")
    assert other.errors["auth_key"] == ["The auth key has expired. Please start again from the beginning."]


def test_a_failure_without_message_uses_the_portals_own_text():
    form = Form(("email",))
    form.take_failure(ApiFailure(503, "SERVICE_UNAVAILABLE"), "en")
    assert form.page_errors == ["The service cannot be reached right now. Please try again shortly."]


def test_counter_advice_is_given_once_when_the_api_already_gives_it():
    form = Form(("account_creation_code",))
    form.take_failure(ApiFailure(410, "CODE_INVALIDATED",
                                 "入力誤りが10回に達したため、アカウント作成コードは無効になりました。"
                                 "窓口で再発行を受けてください。"), "ja")
    assert form.errors["account_creation_code"][0].count("窓口") == 1
    expired = Form(("account_creation_code",))
    expired.take_failure(ApiFailure(410, "CODE_EXPIRED", "The account creation code has expired. "
                                    "Please get a new one at the office."), "en")
    assert expired.errors["account_creation_code"][0].count("office") == 1
    bare = Form(("account_creation_code",))
    bare.take_failure(ApiFailure(410, "CODE_EXPIRED", "期限切れです。"), "ja")
    assert bare.errors["account_creation_code"][0].endswith(
        "ハローワークの窓口でアカウント作成コードの再発行を受けてください。")


def test_rate_limit_is_told_in_minutes_rounded_up():
    form = Form(("email",))
    form.take_failure(ApiFailure(429, "RATE_LIMITED", "しばらくお待ちください。", retry_after=899), "ja")
    assert form.page_errors == ["しばらくお待ちください。 約15分後から、もう一度お試しいただけます。"]


def test_tries_left_follow_a_wrong_key():
    form = Form(("auth_key",))
    form.take_failure(ApiFailure(400, "AUTH_KEY_MISMATCH", "認証キーが正しくありません。",
                                 details={"attempts_left": 3}), "ja")
    assert "あと3回" in form.errors["auth_key"][0]
    one = Form(("reset_key",))
    one.take_failure(ApiFailure(400, "RESET_KEY_MISMATCH", "Wrong key.",
                                details={"attempts_left": 1}), "en")
    assert one.errors["reset_key"] == ["Wrong key. 1 try left (one more wrong key makes this "
                                       "procedure void)."]


def test_taken_account_errors_link_to_login_and_the_forgotten_password():
    for code in ("CODE_ALREADY_USED", "EMAIL_ALREADY_REGISTERED", "ACCOUNT_EXISTS"):
        form = Form(("email", "account_creation_code"))
        form.take_failure(ApiFailure(409, code, "…"), "ja")
        assert form.links == ["login", "forgot"], code


def test_a_kept_form_survives_sealing_and_a_forged_or_old_one_does_not():
    from portal.forms import seal, unseal

    form = Form(("password", "auth_key"), {"password": "Pass-word1"}, {"auth_key": ["誤り"]},
                ["ページ"], links=["forgot"])
    sealed = seal({"form": form.to_dict()}, "secret")
    assert "Pass-word1" not in sealed
    back = Form.from_dict(("password", "auth_key"), unseal(sealed, "secret")["form"])
    assert (back.values, back.errors, back.page_errors, back.links) == (
        form.values, form.errors, form.page_errors, form.links)
    assert unseal(sealed, "other-secret") is None
    assert unseal(sealed[:-2] + "xx", "secret") is None
    assert unseal("garbage", "secret") is None


def test_attempts_left_is_read_only_when_it_is_a_count():
    assert ApiFailure(400, "X", details={"attempts_left": 2}).attempts_left == 2
    assert ApiFailure(400, "X", details={"attempts_left": 0}).attempts_left == 0
    for odd in ("2", True, -1, None, 1.5):
        assert ApiFailure(400, "X", details={"attempts_left": odd}).attempts_left is None


def test_a_superseded_code_is_not_sent_back_to_the_counter():
    form = Form(("account_creation_code",))
    form.take_failure(ApiFailure(410, "CODE_SUPERSEDED", "このアカウント作成コードは再発行により"
                                 "無効になりました。新しいコードを入力してください。"), "ja")
    assert "窓口" not in form.errors["account_creation_code"][0]

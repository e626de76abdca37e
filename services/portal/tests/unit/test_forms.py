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

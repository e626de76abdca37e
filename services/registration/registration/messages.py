"""Japanese (default) and English texts of registration's errors and field validators."""

from __future__ import annotations

from shared.web.messages import Messages

# Texts used in code (schemas.py, usecases/); the keys of their translations below.
AGREEMENT_REQUIRED = "Agreement is required."
NOT_CURRENT_VERSION = "The agreed version is not the current one."
EMAIL_CONFIRMATION_DIFFERS = "Does not match the email address."
BAD_TOKEN = "Not a valid token."  # noqa: S105 - a message, not a secret
BAD_SESSION_ID = "Not a valid session id."

ERRORS: dict[str, dict[str, str]] = {
    "TERMS_NOT_AGREED": {
        "ja": "プライバシーポリシーと利用規約の最新版に同意してください。",
        "en": "Please agree to the current privacy policy and terms of use.",
    },
    "IDENTITY_MISMATCH": {
        "ja": "求職番号、生年月日またはアカウント作成コードが正しくありません。",
        "en": "The job-seeker number, birth date or account creation code is incorrect.",
    },
    "CODE_EXPIRED": {
        "ja": "アカウント作成コードの有効期限が過ぎています。ハローワークの窓口で再発行を受けてください。",
        "en": "The account creation code has expired. Please get a new one at the office.",
    },
    "CODE_SUPERSEDED": {
        "ja": "このアカウント作成コードは再発行により無効になりました。新しいコードを入力してください。",
        "en": "This account creation code was replaced by a newer one. Please enter the new code.",
    },
    "CODE_REVOKED": {
        "ja": "このアカウント作成コードは無効になっています。ハローワークの窓口にお問い合わせください。",
        "en": "This account creation code has been revoked. Please contact the office.",
    },
    "CODE_INVALIDATED": {
        "ja": "入力誤りが10回に達したため、アカウント作成コードは無効になりました。"
              "窓口で再発行を受けてください。",
        "en": "The account creation code was invalidated after 10 wrong entries. "
              "Please get a new one at the office.",
    },
    "CODE_ALREADY_USED": {
        "ja": "このアカウント作成コードは既に使用されています。",
        "en": "This account creation code has already been used.",
    },
    "EMAIL_ALREADY_REGISTERED": {
        "ja": "このメールアドレスは既に登録されています。",
        "en": "This email address is already registered.",
    },
    # R12 (issue 17): one open account per job seeker, told only after the code check passed.
    "ACCOUNT_EXISTS": {
        "ja": "この求職番号のマイページアカウントは既に登録されています。"
              "登録済みのメールアドレスとパスワードでログインしてください。"
              "パスワードを忘れた場合は、ログイン画面の「パスワードを忘れた方」から再設定できます。"
              "登録したメールアドレスが分からない場合は、ハローワークの窓口にお問い合わせください。",
        "en": "An account already exists for this job-seeker number. Please log in with its "
              "email address and password. If you forgot the password, reset it with "
              "\"Forgot your password?\" on the login screen. If you do not know which email "
              "address you registered, please contact the office.",
    },
    "APPLICATION_NOT_FOUND": {
        "ja": "申込みが見つからないか、無効になっています。はじめからやり直してください。",
        "en": "The application was not found or is no longer valid. Please start again.",
    },
    "AUTH_KEY_MISMATCH": {
        "ja": "認証キーが正しくありません。",
        "en": "The auth key is incorrect.",
    },
    "AUTH_KEY_EXPIRED": {
        "ja": "認証キーの有効期限（メール配信から50分）が過ぎています。はじめからやり直してください。",
        "en": "The auth key has expired (50 minutes after the mail). Please start again.",
    },
    "AUTH_KEY_NOT_DELIVERED": {
        "ja": "認証キーのメールをお届けできませんでした。"
              "メールアドレスと受信設定を確認し、はじめからやり直してください。",
        "en": "The auth key mail could not be delivered. Please check the address and your "
              "mail filters, then start again.",
    },
    "MAIL_LIMIT_REACHED": {
        "ja": "メール送信回数の上限に達しました。しばらくしてから再度お試しください。",
        "en": "Too many auth key mails were sent for this code. Please try again later.",
    },
    "LOGIN_FAILED": {
        "ja": "メールアドレスまたはパスワードが正しくありません。",
        "en": "The email address or password is incorrect.",
    },
    # R19: not one of this account's open sessions (ended, expired, another's, or none)
    "SESSION_NOT_FOUND": {
        "ja": "指定されたログイン中の端末が見つかりません。既にログアウトしている可能性があります。",
        "en": "That session was not found. It may have ended already.",
    },
}

# --- R16-R18 with a session --------------------------------------------------------------
# The email-change key is 認証キー in Japanese, as the notifier's key mail names it.
BAD_CHANGE_TOKEN = "Not a valid change token."  # noqa: S105 - a message, not a secret
BAD_CHANGE_KEY = "Enter the 8-character key from the mail."
CURRENT_PASSWORD_IS_WRONG = "The current password is incorrect."  # noqa: S105
EMAIL_IS_CURRENT = "This is already your email address."
ERRORS.update({  # PASSWORD_UNCHANGED and PASSWORD_IS_CURRENT are R15's (below)
    "CURRENT_PASSWORD_WRONG": {
        "ja": "現在のパスワードが正しくありません。"
              "続けて誤るとしばらくの間ログインもできなくなります。",
        "en": "The current password is incorrect. After repeated mistakes, logging in is "
              "also blocked for a while.",
    },
    "CHANGE_NOT_FOUND": {
        "ja": "メールアドレス変更の受付が見つからないか、無効になっています。"
              "はじめからやり直してください。",
        "en": "The email change was not found or is no longer valid. Please start again.",
    },
    "CHANGE_KEY_MISMATCH": {
        "ja": "認証キーが正しくありません。",
        "en": "The key is incorrect.",
    },
    "CHANGE_KEY_EXPIRED": {
        "ja": "認証キーの有効期限（メール配信から50分）が過ぎています。"
              "メールアドレス変更をはじめからやり直してください。",
        "en": "The key has expired (50 minutes after the mail). Please start the email "
              "change again.",
    },
})

FIELDS: dict[str, dict[str, str]] = {
    # R16-R18
    BAD_CHANGE_TOKEN: {"ja": "変更トークンの形式が正しくありません。"},
    BAD_CHANGE_KEY: {"ja": "メールに記載された認証キー（8文字）を正しく入力してください。"},
    CURRENT_PASSWORD_IS_WRONG: {"ja": "現在のパスワードが正しくありません。"},
    EMAIL_IS_CURRENT: {"ja": "現在登録されているメールアドレスです。"},
    "Must not contain control characters.": {"ja": "制御文字は使用できません。"},
    "Use half-width characters only.": {"ja": "半角文字で入力してください。"},
    "Must be at most 100 characters.": {"ja": "100文字以内で入力してください。"},
    "The part before the @ must be at most 64 characters.": {
        "ja": "メールアドレスの@より前の部分は64文字以内で入力してください。"},
    "The email must not start with a period.": {
        "ja": "メールアドレスの先頭にピリオド(.)は使用できません。"},
    "The email must not have a period right before the @.": {
        "ja": "@の直前にピリオド(.)は使用できません。"},
    "The email must not have consecutive periods.": {
        "ja": "ピリオド(.)を連続して使用することはできません。"},
    "Not a valid email address.": {
        "ja": "メールアドレスの形式が正しくありません（利用できない記号が含まれている可能性があります）。"},
    EMAIL_CONFIRMATION_DIFFERS: {"ja": "メールアドレス（確認用）が一致しません。"},
    "Enter 5 digits, a hyphen and up to 8 digits.": {
        "ja": "求職番号は数字5桁、ハイフン、数字8桁以内で入力してください。"},
    "Enter the date as YYYY-MM-DD (western calendar).": {
        "ja": "生年月日は西暦で YYYY-MM-DD の形式で入力してください。"},
    "This date does not exist.": {"ja": "存在しない日付です。"},
    "Enter a past date.": {"ja": "過去の日付を入力してください。"},
    "Enter the 10-character account creation code.": {
        "ja": "アカウント作成コード（10文字）を正しく入力してください。"},
    "Enter the 8-character auth key from the mail.": {
        "ja": "メールに記載された認証キー（8文字）を正しく入力してください。"},
    BAD_TOKEN: {"ja": "申込みトークンの形式が正しくありません。"},
    "Use 8 to 32 characters.": {"ja": "8文字以上32文字以内で入力してください。"},
    "Use half-width letters, digits and symbols only (no spaces).": {
        "ja": "半角英字・数字・記号のみ使用できます（空白は使用できません）。"},
    "Include at least one digit.": {"ja": "数字を1文字以上含めてください。"},
    "Include at least one letter.": {"ja": "英字を1文字以上含めてください。"},
    "Include at least one symbol.": {"ja": "記号を1文字以上含めてください。"},
    "Must not contain the email address.": {
        "ja": "メールアドレスの@より前の部分を含むパスワードは使用できません。"},
    "Must not contain the job-seeker number.": {"ja": "求職番号を含むパスワードは使用できません。"},
    "This password is too common.": {"ja": "よく使われているパスワードのため使用できません。"},
    "Does not match the password.": {"ja": "パスワード（確認用）が一致しません。"},
    # Issue 13 item 10: why zxcvbn finds a password guessable (passwords.strength_problems).
    "Too easy to guess: avoid common words, names, keyboard patterns and dates.": {
        "ja": "推測されやすいパスワードです。"
              "よく使われる単語、名前、キーボードの並び、日付は避けてください。"},
    "It is close to a commonly used password.": {"ja": "よく使われているパスワードに似ています。"},
    "A common word or name is easy to guess.": {"ja": "よく使われる単語や名前は推測されやすいです。"},
    "Avoid your email address, job-seeker number and words about Hello Work.": {
        "ja": "メールアドレス、求職番号、ハローワークに関する語句は避けてください。"},
    "Keyboard patterns such as qwerty are easy to guess.": {
        "ja": "qwertyのようなキーボードの並びは推測されやすいです。"},
    "Repeated characters or words are easy to guess.": {
        "ja": "同じ文字や語句の繰り返しは推測されやすいです。"},
    "Sequences such as abc or 6543 are easy to guess.": {
        "ja": "abcや6543のような連続した並びは推測されやすいです。"},
    "Years and dates are easy to guess.": {"ja": "年や日付は推測されやすいです。"},
    "Replacing letters with look-alike symbols (@ for a) does not help much.": {
        "ja": "文字を似た記号に置き換えても（aを@にするなど）推測されにくくはなりません。"},
    "Make it longer: add another uncommon word or two.": {
        "ja": "もっと長くしてください。あまり使われない単語を1つか2つ加えると効果的です。"},
    NOT_CURRENT_VERSION: {
        "ja": "同意した版が最新ではありません。"},
    AGREEMENT_REQUIRED: {"ja": "同意が必要です。"},
    BAD_SESSION_ID: {"ja": "セッションIDの形式が正しくありません。"},  # R19
}


# --- R15 forgotten password -------------------------------------------------------------
# The reset key is 認証キー in Japanese, as the notifier's reset mail names it.
BAD_RESET_TOKEN = "Not a valid reset token."  # noqa: S105 - a message, not a secret
BAD_RESET_KEY = "Enter the 8-character reset key from the mail."
PASSWORD_IS_CURRENT = "Choose a password other than the current one."  # noqa: S105
ERRORS.update({
    "RESET_NOT_FOUND": {
        "ja": "パスワード再設定の受付が見つからないか、無効になっています。"
              "はじめからやり直してください。",
        "en": "The password reset was not found or is no longer valid. Please start again.",
    },
    "RESET_KEY_MISMATCH": {
        "ja": "認証キーが正しくありません。",
        "en": "The reset key is incorrect.",
    },
    "RESET_KEY_EXPIRED": {
        "ja": "認証キーの有効期限（メール配信から50分）が過ぎています。"
              "パスワード再設定をはじめからやり直してください。",
        "en": "The reset key has expired (50 minutes after the mail). Please start again.",
    },
    "PASSWORD_UNCHANGED": {
        "ja": "現在と同じパスワードは設定できません。",
        "en": "The new password must differ from the current one.",
    },
})
FIELDS.update({
    BAD_RESET_TOKEN: {"ja": "再設定トークンの形式が正しくありません。"},
    BAD_RESET_KEY: {"ja": "メールに記載された認証キー（8文字）を正しく入力してください。"},
    PASSWORD_IS_CURRENT: {"ja": "現在のパスワードとは異なるパスワードを入力してください。"},
})


# Field texts are written in English (the key), so English is the key itself.
MESSAGES = Messages(ERRORS, {text: {"ja": texts["ja"], "en": text}
                             for text, texts in FIELDS.items()})

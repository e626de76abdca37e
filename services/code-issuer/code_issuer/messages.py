"""Japanese (default) and English texts of the code-issuer's errors and field validators."""

from __future__ import annotations

from shared.web.messages import Messages

# The validators' texts (schemas.py); the keys of their translations below.
BAD_BIRTH_DATE = "Not a valid birth date."
BAD_NUMBER = "Not a valid job seeker number."
BAD_IDEMPOTENCY_KEY = "Not a valid idempotency key."

MESSAGES = Messages(
    errors={
        "CODE_NOT_FOUND": {"ja": "指定されたアカウント作成コードは存在しません。",
                           "en": "No such account creation code."},
        "CODE_NOT_ACTIVE": {
            "ja": "このアカウント作成コードはすでに無効です"
                  "（使用済み・期限切れ・再発行・取消し・無効化のいずれか）。状態は一覧で確認してください。",
            "en": "This account creation code is no longer active (used, expired, superseded, "
                  "revoked or invalidated); see the list for its status."},
        "BIRTH_DATE_MISMATCH": {
            "ja": "生年月日が登録済みの求職者情報と一致しません。コードは発行されていません。",
            "en": "The birth date differs from the registered job seeker's; no code was issued."},
        "BIRTH_DATE_DIFFERS": {
            "ja": "生年月日が前回の発行時に記録した生年月日と異なります。コードは発行されていません。"
                  "本人の生年月日を確認し、変更してよい場合は確認のうえ発行してください。",
            "en": "The birth date differs from the one recorded at the last issue; no code was "
                  "issued. Check the person's birth date and confirm the change to issue."},
        "IDEMPOTENCY_KEY_REUSED": {
            "ja": "この Idempotency-Key は別の求職番号または生年月日の発行に使われています。"
                  "コードは発行されていません。",
            "en": "This Idempotency-Key was used for another job seeker number or birth date; "
                  "no code was issued."},
        "JOB_SEEKER_CLOSED": {
            "ja": "この求職者の求職登録は終了しています。再登録されるまでコードは発行できません。",
            "en": "This job seeker's registration has ended; no code can be issued until "
                  "they are registered again."},
    },
    fields={
        BAD_NUMBER: {"ja": "求職番号は「12345-1234567」の形式"
                           "（数字5桁、ハイフン、数字1〜8桁）で入力してください。",
                     "en": "Use the form 12345-1234567 (5 digits, a hyphen, 1 to 8 digits)."},
        BAD_IDEMPOTENCY_KEY: {"ja": "Idempotency-Key は1〜100文字の半角英数記号で指定してください。",
                              "en": "Use 1 to 100 printable ASCII characters."},
        BAD_BIRTH_DATE: {"ja": "生年月日は西暦で YYYY-MM-DD の形式の、過去の実在する日付を入力してください。",
                         "en": "Enter a real past date in the western calendar as YYYY-MM-DD."},
    },
)

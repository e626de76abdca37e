"""Every text the screens show, in Japanese (the default) and English."""

from __future__ import annotations

from shared.web.messages import Messages

TEXTS: dict[str, tuple[str, str]] = {
    # frame
    "site": ("ハローワーク インターネットサービス（参照実装）", "Hello Work Internet Service (reference)"),
    "skip": ("本文へ移動", "Skip to main content"),
    "lang_switch": ("English", "日本語"),
    "top": ("トップ", "Top"),
    "counter_link": ("窓口職員の方", "For office staff"),
    "error_prefix": ("エラー", "Error"),
    "error_summary": ("入力内容を確認してください", "Please check your input"),
    "required": ("必須", "required"),
    "back_to_top": ("トップへ戻る", "Back to the top page"),
    "footer": ("参照実装です。実在のサービスではありません。",
               "A reference implementation, not a real service."),
    # top page
    "top_title": ("求職者マイページ", "Job seeker My Page"),
    "top_login": ("求職者マイページにログイン", "Log in to My Page"),
    "top_register": ("アカウント作成コードをハローワークで発行済みの求職者",
                     "Job seekers who already received an account creation code at the office"),
    "top_register_note": ("窓口で受け取ったアカウント作成コードを使って、パスワードを登録します。",
                          "Register your password with the account creation code you received "
                          "at the counter."),
    # step list
    "steps_title": ("求職者マイページ開設手順", "Steps to open your My Page"),
    "step1": ("ステップ1 マイページ利用規約等への同意", "Step 1: agree to the My Page terms"),
    "step2": ("ステップ2 必要な情報の入力（パスワード登録申込）",
              "Step 2: enter your details (password registration application)"),
    "step2_note": ("メールアドレスを入力すると、入力したメールアドレス宛に「パスワード登録申込受付通知」"
                   "メールが届きます。",
                   "You receive a \"password registration application received\" mail at the "
                   "address you enter."),
    "step3": ("ステップ3 パスワードの登録", "Step 3: register your password"),
    "step3_note": ("パスワードと「パスワード登録申込受付通知」メール記載の「認証キー」を入力します。"
                   "（メール配信から50分以内）",
                   "Enter a password and the auth key from the mail (within 50 minutes of the "
                   "mail's delivery)."),
    "step4": ("ステップ4 求職者マイページアカウント登録完了、求職者マイページの開設",
              "Step 4: your My Page account is opened"),
    "step4_note": ("求職者マイページが開設され、求職者マイページの各種メニューを"
                   "ご利用いただけるようになります。",
                   "Your My Page opens and you can use its menus."),
    # terms
    "terms_title": ("求職者マイページ利用規約確認", "My Page terms confirmation"),
    "terms_intro": ("このページは、ハローワークの窓口で求職登録とアカウント作成コード発行の手続きを"
                    "完了している方が、求職者マイページを開設するためのページです。",
                    "This page is for people who registered as job seekers at the office and "
                    "received an account creation code, to open their My Page."),
    "terms_confirm": ("マイページ利用規約等の確認・同意", "Read and agree to the terms"),
    "terms_confirm_note": ("プライバシーポリシーとマイページ利用規約をご確認のうえ、「次へ進む」ボタンを"
                           "クリックしてください。",
                           "Read the privacy policy and the terms of use, then press \"Next\"."),
    "privacy_policy": ("プライバシーポリシー", "Privacy policy"),
    "terms_of_use": ("利用規約", "Terms of use"),
    "agree_privacy": ("「プライバシーポリシー」に同意します。", "I agree to the privacy policy."),
    "agree_terms": ("「利用規約」に同意します。", "I agree to the terms of use."),
    "must_agree_privacy": ("「プライバシーポリシー」に同意してください。",
                           "Please agree to the privacy policy."),
    "must_agree_terms": ("「利用規約」に同意してください。", "Please agree to the terms of use."),
    "version": ("（{version}版）", "(version {version})"),
    "read_document": ("内容を確認する", "Read it"),
    "close": ("閉じる", "Close"),
    "next": ("次へ進む", "Next"),
    "cancel": ("キャンセル", "Cancel"),
    "official_text": ("配信元の文書", "The publisher's document"),
    "policy_privacy_body": (
        "ハローワークインターネットサービスは、求職者マイページの開設と利用のために、メールアドレス、"
        "求職番号、生年月日をお預かりします。お預かりした情報は、職業紹介とマイページの提供以外の目的には"
        "使用しません。法令に基づく場合を除き、ご本人の同意なく第三者に提供しません。",
        "The Hello Work Internet Service keeps your email address, job-seeker number and birth "
        "date to open and run your My Page. They are used for job placement and My Page only, "
        "and are not given to third parties without your consent unless the law requires it."),
    "policy_terms_body": (
        "求職者マイページは、ハローワークで求職登録をした方ご本人が利用するものです。パスワードは他人に"
        "知らせないでください。アカウント作成コードと認証キーはご本人だけが使用してください。",
        "My Page is for the registered job seeker in person. Do not tell anyone your password. "
        "Only you may use your account creation code and auth key."),
    # details (step 2)
    "details_title": ("必要な情報の入力（パスワード登録申込）",
                      "Enter your details (password registration application)"),
    "details_intro": ("メールアドレス、求職番号、生年月日およびハローワークで交付を受けた"
                      "アカウント作成コードを"
                      "入力してください。なお、求職番号、生年月日およびアカウント作成コードのいずれかの項目を"
                      "合計で10回誤った場合は、アカウント作成コードが無効となりますのでご注意ください。",
                      "Enter your email address, job-seeker number, birth date and the account "
                      "creation code the office gave you. If the job-seeker number, birth date or "
                      "code is wrong 10 times in total, the code becomes invalid."),
    "details_mail": ("ご入力いただいたメールアドレス宛に「パスワード登録申込受付通知」メールをお送りします。",
                     "We send a \"password registration application received\" mail to the "
                     "address you enter."),
    "details_filter": ("メール受信制限をされている方は{sender}からのメール受信を許可してください。",
                       "If you filter mail, allow mail from {sender}."),
    "email": ("メールアドレス", "Email address"),
    "email_hint": ("半角英数字100文字以内", "Half-width characters, at most 100"),
    "email_confirmation": ("メールアドレス（確認用）", "Email address (confirmation)"),
    "email_confirmation_hint": ("確認のため、もう一度入力してください。", "Type it again to confirm."),
    "job_seeker_number": ("求職番号", "Job-seeker number"),
    "job_seeker_number_hint": ("半角数字5桁・8桁以内（例: 12345-1234567）",
                               "5 digits, hyphen, up to 8 digits (e.g. 12345-1234567)"),
    "birth_date": ("生年月日", "Birth date"),
    "birth_date_hint": ("半角数字 西暦で入力してください。（例: 1990-04-01）",
                        "Western calendar, digits (e.g. 1990-04-01)"),
    "account_creation_code": ("アカウント作成コード", "Account creation code"),
    "account_creation_code_hint": ("半角文字10文字以内（ハローワークで交付を受けたもの）",
                                   "10 half-width characters (the one the office gave you)"),
    "details_after": ("※入力したメールアドレス宛てに、ハローワークインターネットサービスから「認証キー」が"
                      "記載されたメールが届きます。",
                      "* A mail with your \"auth key\" will be sent to the address you entered."),
    "must_start_again": ("はじめからやり直してください。", "Please start again from the beginning."),
    "ask_counter": ("ハローワークの窓口でアカウント作成コードの再発行を受けてください。",
                    "Please ask the office counter to issue a new account creation code."),
    "retry_after": ("約{minutes}分後から、もう一度お試しいただけます。",
                    "You can try again in about {minutes} minute(s)."),
    # password (step 3)
    "password_title": ("パスワード登録", "Register your password"),
    "password_intro": ("登録するパスワードと、メールに記載されている「認証キー」を入力してください。",
                       "Enter the password to register and the auth key written in the mail."),
    "do_not_close": ("登録を完了する前に「パスワード登録」画面を閉じないでください。閉じてしまった場合は、"
                     "「アカウント作成コードをハローワークで発行済みの求職者」ボタンからやり直してください。",
                     "Do not close this screen before you finish. If you close it, start again "
                     "from \"Job seekers who already received an account creation code\"."),
    "sent_to": ("認証キーを記載したメールを {email} 宛に送信しました。",
                "The mail with your auth key was sent to {email}."),
    "deadline": ("認証キーの有効期限", "The auth key is valid until"),
    "time_left": ("残り時間", "Time left"),
    "deadline_note": ("「パスワード登録申込受付通知」メールが配信されてから、50分以内に操作をしないと、"
                      "認証キーが無効になります。",
                      "The auth key becomes invalid 50 minutes after the mail is delivered."),
    "key_expired_note": ("認証キーの有効期限が過ぎています。はじめからやり直してください。",
                         "The auth key has expired. Please start again from the beginning."),
    "mail_page": ("開発用メール確認ページを開く（開発モードのみ）",
                  "Open the development mail page (development mode only)"),
    "password": ("登録するパスワード", "Password to register"),
    "password_hint": ("半角数字、英字、記号を組み合わせて8桁以上32桁以内",
                      "8 to 32 characters mixing digits, letters and symbols"),
    "password_confirmation": ("登録するパスワード（確認用）", "Password (confirmation)"),
    "password_confirmation_hint": ("確認のため、もう一度入力してください。", "Type it again to confirm."),
    "auth_key": ("認証キー", "Auth key"),
    "auth_key_hint": ("メールに記載されている8文字", "The 8 characters written in the mail"),
    "done": ("完了", "Done"),
    "no_application": ("パスワード登録の申込が見つかりません。画面を閉じた場合や有効期限が過ぎた場合は、"
                       "はじめからやり直してください。",
                       "No password registration in progress. If you closed the screen or the "
                       "time ran out, please start again."),
    # complete
    "complete_title": ("パスワード登録完了", "Password registration complete"),
    "complete_body": ("パスワードの登録が完了しました。求職者マイページが開設されました。",
                      "Your password is registered and your My Page is open."),
    "complete_account": ("登録したメールアドレス", "Registered email address"),
    "go_login": ("ログイン画面へ進む", "Go to the login screen"),
    # login and My Page
    "login_title": ("求職者マイページ ログイン", "Log in to My Page"),
    "login_button": ("ログイン", "Log in"),
    "password_login": ("パスワード", "Password"),
    "mypage_title": ("求職者マイページ", "My Page"),
    "mypage_welcome": ("ようこそ。ご登録内容は次のとおりです。", "Welcome. Your details:"),
    "registered_at": ("登録日時", "Registered at"),
    "logout": ("ログアウト", "Log out"),
    "logged_out": ("ログアウトしました。", "You have logged out."),
    "session_over": ("ログインの有効期限が切れました。もう一度ログインしてください。",
                     "Your login has expired. Please log in again."),
    # --- job seeker: issue 17's traps and R15's screens (seeker screens) -------------
    "job_seeker_number_nohyphen": ("ハイフン（-）は省略して数字だけでも入力できます。",
                                   "You may leave out the hyphen and type only the digits."),
    "attempts_left": ("あと{n}回まで入力できます（5回誤ると、この手続きは無効になります）。",
                      "{n} tries left (after 5 wrong keys this procedure is void)."),
    "attempts_left_one": ("あと1回まで入力できます（次に誤ると、この手続きは無効になります）。",
                          "1 try left (one more wrong key makes this procedure void)."),
    "key_to_use": ("{time}に送信した「パスワード登録申込受付通知」メールに記載の認証キーを入力してください。",
                   "Enter the auth key of the \"password registration application received\" "
                   "mail sent at {time}."),
    "replaces_earlier": ("このメールは、以前に送信したメールに代わるものです。"
                         "以前のメールの認証キーは使えません。",
                         "This mail replaces the earlier one: the earlier mail's key no longer "
                         "works."),
    "replaces_earlier_at": ("このメールは、{time}に送信したメールに代わるものです。以前のメールの認証キーは"
                            "使えません。",
                            "This mail replaces the one sent at {time}: the earlier mail's key no "
                            "longer works."),
    "start_over_title": ("はじめからやり直す場合", "To start again"),
    "start_over_note": ("メールが届かない場合は、はじめからやり直すと新しい認証キーをお送りします。"
                        "やり直すと、いま入力中の申込みは使えなくなります。",
                        "If no mail arrives, starting again sends a new auth key. Starting again "
                        "voids the application you are completing now."),
    "start_again": ("はじめからやり直す", "Start again"),
    "key_expired_title": ("認証キーの有効期限が過ぎました", "The auth key has expired"),
    "key_expired_body": ("認証キーの有効期限（メール配信から50分）が過ぎたため、この申込みは使えません。"
                         "お手元のアカウント作成コードで、はじめからやり直してください。",
                         "The auth key has expired (50 minutes after the mail), so this "
                         "application can no longer be completed. Start again with your "
                         "account creation code."),
    "key_void_title": ("申込みが無効になりました", "The application is void"),
    "key_void_body": ("認証キーを5回誤って入力したため、この申込みは無効になりました。"
                      "お手元のアカウント作成コードで、はじめからやり直してください。",
                      "The auth key was entered wrongly 5 times, so this application is void. "
                      "Start again with your account creation code."),
    "go_login_link": ("ログイン画面へ", "Go to the login screen"),
    "forgot_link": ("パスワードを忘れた方", "Forgot your password?"),
    "throttled_forgot": ("パスワードをお忘れの場合は、「パスワードを忘れた方」から再設定できます。",
                         "If you have forgotten your password, reset it with \"Forgot your "
                         "password?\"."),
    # R15: forgotten password
    "forgot_title": ("パスワードを忘れた方", "Forgot your password?"),
    "forgot_intro": ("登録したメールアドレス、求職番号、生年月日を入力してください。登録内容と一致する場合、"
                     "パスワードの再設定に使う「認証キー」をメールでお送りします。",
                     "Enter your registered email address, job-seeker number and birth date. "
                     "If they match an account, we mail you a \"reset key\" to set a new "
                     "password."),
    "forgot_email_hint": ("マイページに登録したメールアドレス", "The address registered for My Page"),
    "send_reset_key": ("認証キーを送信する", "Send the reset key"),
    "reset_title": ("パスワード再設定", "Reset password"),
    "reset_sent": ("入力された内容が登録と一致する場合、{time}に {email} 宛に"
                   "「パスワード再設定の認証キーのお知らせ」メールを送信しました。",
                   "If the details match an account, the mail \"Your key to reset your "
                   "password\" was sent to {email} at {time}."),
    "reset_key_to_use": ("複数回申請した場合は、最後に送信したメールの認証キーを入力してください。",
                         "If you asked more than once, use the key of the newest mail."),
    "reset_deadline": ("認証キーの有効期限", "The reset key is valid until"),
    "reset_deadline_note": ("メールが配信されてから50分を過ぎると、認証キーは無効になります。",
                            "The reset key becomes invalid 50 minutes after the mail is "
                            "delivered."),
    "reset_no_mail": ("メールが届かない場合は、入力内容を確認して、もう一度お申し込みください。",
                      "If no mail arrives, check your details and ask again."),
    "reset_no_mail_title": ("メールが届かない場合", "If no mail arrives"),
    "reset_ask_again": ("認証キーをもう一度申し込む", "Ask for a reset key again"),
    "reset_key": ("認証キー", "Reset key"),
    "reset_key_hint": ("メールに記載されている8文字", "The 8 characters written in the mail"),
    "new_password": ("新しいパスワード", "New password"),
    "new_password_hint": ("半角数字、英字、記号を組み合わせて8桁以上32桁以内（現在のパスワードとは別のもの）",
                          "8 to 32 characters mixing digits, letters and symbols (not your "
                          "current password)"),
    "new_password_confirmation": ("新しいパスワード（確認用）", "New password (confirmation)"),
    "change_password": ("完了", "Done"),
    "reset_expired_title": ("認証キーの有効期限が過ぎました", "The reset key has expired"),
    "reset_expired_body": ("認証キーの有効期限（メール配信から50分）が過ぎたため、この手続きは使えません。"
                           "もう一度、認証キーを申し込んでください。",
                           "The reset key has expired (50 minutes after the mail), so this "
                           "procedure can no longer be completed. Please ask for a new reset "
                           "key."),
    "reset_void_title": ("再設定の手続きが見つかりません", "No password reset in progress"),
    "reset_void_body": ("パスワード再設定の手続きが見つからないか、無効になりました"
                        "（認証キーを5回誤った場合など）。もう一度、認証キーを申し込んでください。",
                        "No password reset is in progress, or it is void (for example after 5 "
                        "wrong keys). Please ask for a new reset key."),
    "reset_done_title": ("パスワードを変更しました", "Your password has been changed"),
    "reset_done_body": ("新しいパスワードを登録しました。安全のため、すべての端末からログアウトしました。"
                        "新しいパスワードでログインしてください。",
                        "Your new password is set. For your safety you have been logged out "
                        "everywhere. Please log in with the new password."),
    # counter
    "counter_title": ("窓口：アカウント作成コード発行", "Counter: account creation codes"),
    "counter_signin_title": ("窓口職員サインイン", "Office staff sign-in"),
    "office_key": ("事業所APIキー", "Office API key"),
    "office_key_hint": ("ハローワークから配布されたキー", "The key your office was given"),
    "sign_in": ("サインイン", "Sign in"),
    "sign_out": ("サインアウト", "Sign out"),
    "signed_out": ("サインアウトしました。", "You have signed out."),
    "office_key_wrong": ("事業所APIキーが正しくありません。", "The office API key is not valid."),
    "counter_signin_needed": ("サインインしてください。", "Please sign in."),
    "counter_expired": ("サインインの有効時間が過ぎました。もう一度サインインしてください。",
                        "Your sign-in has expired. Please sign in again."),
    "counter_idle": ("しばらく操作がなかったため、サインアウトしました。もう一度サインインしてください。",
                     "You were signed out after a period without activity. Please sign in again."),
    "counter_unavailable_title": ("窓口の画面は現在ご利用いただけません",
                                  "The counter screens are unavailable right now"),
    "counter_unavailable_body": ("職員のサインイン情報を保管するサーバーに接続できません。安全のため"
                                 "サインインと操作を停止しています。しばらくしてから再度お試しください。",
                                 "The server that keeps staff sign-ins cannot be reached, so "
                                 "sign-in and the counter screens are stopped for safety. Please "
                                 "try again in a few minutes."),
    "lookup_title": ("求職者の検索", "Look up a job seeker"),
    "lookup": ("検索", "Look up"),
    "codes_title": ("発行済みのアカウント作成コード", "Account creation codes issued"),
    "no_codes": ("発行済みのコードはありません。", "No code has been issued."),
    "status": ("状態", "Status"),
    "issued_at": ("発行日時", "Issued at"),
    "expires_at": ("有効期限", "Valid until"),
    "failed_attempts": ("誤入力回数", "Failed attempts"),
    "used_at": ("使用日時", "Used at"),
    "status_active": ("有効", "Active"),
    "status_used": ("使用済み", "Used"),
    "status_expired": ("期限切れ", "Expired"),
    "status_superseded": ("再発行により無効", "Superseded by a re-issue"),
    "status_revoked": ("取消", "Revoked"),
    "status_invalidated": ("誤入力により無効", "Invalidated (too many attempts)"),
    "issue_title": ("コードの発行・再発行", "Issue or re-issue a code"),
    "issue_note": ("再発行すると、それまでに発行したコードはすべて無効になります。",
                   "A re-issue makes every earlier code of this person unusable."),
    "issue": ("発行する", "Issue"),
    # slip
    "slip_title": ("アカウント作成コードのお知らせ", "Your account creation code"),
    "slip_code": ("アカウント作成コード", "Account creation code"),
    "slip_valid_until": ("有効期限", "Valid until"),
    "slip_superseded": ("以前に発行したコード {count} 件は無効になりました。",
                        "{count} earlier code(s) are no longer valid."),
    "slip_steps": ("ご自宅での手続き", "What to do at home"),
    "slip_step1": ("ハローワークインターネットサービスを開き、「アカウント作成コードを"
                   "ハローワークで発行済みの"
                   "求職者」ボタンを押します。",
                   "Open the Hello Work Internet Service and press \"Job seekers who already "
                   "received an account creation code\"."),
    "slip_step2": ("プライバシーポリシーと利用規約を確認し、同意して「次へ進む」を押します。",
                   "Read and agree to the privacy policy and the terms of use, then press Next."),
    "slip_step3": ("メールアドレス、求職番号、生年月日、このコードを入力します。",
                   "Enter your email address, job-seeker number, birth date and this code."),
    "slip_step4": ("メールで届く認証キー（50分以内有効）とパスワードを入力し、「完了」を押します。",
                   "Enter the auth key from the mail (valid 50 minutes) and a password, then "
                   "press Done."),
    "slip_warning": ("求職番号、生年月日、コードを合計10回誤るとコードは無効になります。紛失した場合は窓口で"
                     "再発行できます（紛失したコードは無効になります）。",
                     "Entering the number, birth date or code wrongly 10 times in total "
                     "invalidates the code. If you lose it, the counter issues a new one (the "
                     "lost one stops working)."),
    "print": ("印刷する", "Print"),
    "back_to_codes": ("コード一覧へ戻る", "Back to the list of codes"),
    # counter: issue 17 (idempotent issue, account status, live failures, birth date)
    "account_title": ("求職者マイページのアカウント", "My Page account"),
    "account_open": ("アカウント登録済み（{since}から）", "Has an account (since {since})"),
    "account_closed": ("アカウントは退会により閉鎖されています（{since}）",
                       "The account was closed ({since})"),
    "account_none": ("アカウントはありません", "No account"),
    "account_unknown": ("アカウントの状態を確認できませんでした", "The account status could not be checked"),
    "account_open_note": ("新しいコードを発行しても、2つ目のアカウントは作成できません。パスワードを忘れた"
                          "場合は、ログイン画面の「パスワードを忘れた方」をご案内ください。",
                          "A new code cannot open a second account. If the person forgot the "
                          "password, direct them to \"Forgot your password?\" on the login screen."),
    "last_failure": ("最後の誤入力", "Last failed attempt"),
    "last_failure_value": ("{at}（{source} から）", "{at} (from {source})"),
    "failures_note": ("誤入力回数は、求職者が求職番号・生年月日・コードを誤るたびに数秒以内に更新されます。"
                      "10回目でコードは無効になります。",
                      "Failed attempts are updated within seconds of each wrong entry of the "
                      "number, birth date or code; the 10th invalidates the code."),
    "confirm_title": ("発行前の確認", "Confirm before issuing"),
    "confirm_account": ("この方はアカウント登録済みです（{since}から）。",
                        "This person already has an account (since {since})."),
    "confirm_birth_date": ("入力された生年月日が、前回の発行時に記録した生年月日と異なります。",
                           "The birth date entered differs from the one recorded at the last issue."),
    "recorded_birth_date": ("記録されている生年月日", "Birth date on record"),
    "typed_birth_date": ("今回入力された生年月日", "Birth date entered now"),
    "confirm_birth_date_body": ("本人確認書類で生年月日を確認してください。このまま発行すると、今回入力された"
                                "生年月日でコードを発行し、それまでのコードは無効になります。",
                                "Check the birth date on an identity document. Issuing now "
                                "issues the code for the birth date entered, and every earlier "
                                "code stops working."),
    "confirm_issue": ("確認のうえ発行する", "Confirm and issue"),
    "confirm_cancel": ("発行せずに戻る", "Go back without issuing"),
    "issue_form_old": ("この入力画面は使用済みか、有効期限が切れています。"
                       "表示し直した画面で入力してください。",
                       "This form was already used or has expired. Please enter the details "
                       "in the form shown again."),
    "already_issued_title": ("このコードは発行済みです", "This code has already been issued"),
    "already_issued_body": ("この発行はすでに完了しています。新しいコードは発行していません。"
                            "コードは安全のため発行時に一度だけ表示され、再表示できません。",
                            "This issue was already completed; no new code was issued. For "
                            "safety the code is shown only once, when it is issued."),
    "already_issued_lost": ("コードを控えていない場合は、コード一覧から再発行してください"
                            "（このコードは無効になります）。",
                            "If the code was not noted, issue a new one from the list of codes "
                            "(this one then stops working)."),
    "reprint_title": ("発行の控え（コードは表示されません）", "Issue record (the code is not shown)"),
    "code_id": ("コードID", "Code ID"),
    "slip_birth_date": ("生年月日（発行時）", "Birth date (as issued)"),
    "status_now": ("現在の状態", "Status now"),
    "csrf_title": ("もう一度お試しください", "Please try again"),
    "csrf_body": ("画面の有効期限が切れたか、不正な送信です。前の画面に戻り、もう一度操作してください。",
                  "This form has expired or was not sent from this site. Go back and try again."),
    "not_found_title": ("ページが見つかりません", "Page not found"),
    "error_title": ("エラーが発生しました", "Something went wrong"),
    # --- My Page: password, email, sessions, withdrawal (R16-R19; views/mypage/) ---
    "my_menu": ("マイページのメニュー", "My Page menu"),
    "my_back": ("マイページへ戻る", "Back to My Page"),
    "my_current_password": ("現在のパスワード", "Current password"),
    "my_current_password_hint": ("いまログインに使っているパスワード",
                                 "The password you use to log in now"),
    "my_attempts_left": ("あと {n} 回まで入力できます。", "{n} tries left."),
    # R16
    "my_password_title": ("パスワードの変更", "Change your password"),
    "my_password_intro": ("現在のパスワードと、新しいパスワードを入力してください。変更すると、"
                          "この端末以外のログインはすべて終了します。",
                          "Enter your current password and a new one. After the change, every "
                          "login except this one ends."),
    "my_new_password": ("新しいパスワード", "New password"),
    "my_new_password_hint": ("半角数字、英字、記号を組み合わせて8桁以上32桁以内"
                             "（現在のパスワードとは別のもの）",
                             "8 to 32 characters mixing digits, letters and symbols (not your "
                             "current password)"),
    "my_new_password_confirmation": ("新しいパスワード（確認用）", "New password (confirmation)"),
    "my_new_password_confirmation_hint": ("確認のため、もう一度入力してください。",
                                          "Type it again to confirm."),
    "my_password_button": ("パスワードを変更する", "Change the password"),
    "my_password_done_title": ("パスワードを変更しました", "Your password has been changed"),
    "my_password_done_body": ("新しいパスワードを登録しました。この端末以外のログインはすべて終了しました。"
                              "登録のメールアドレスに変更のお知らせをお送りします。",
                              "Your new password is set. Every login except this one has "
                              "ended. A notice is mailed to your registered address."),
    # R17
    "my_email_title": ("メールアドレスの変更", "Change your email address"),
    "my_email_intro": ("現在のパスワードと、新しいメールアドレスを入力してください。新しいメールアドレス宛に"
                       "「認証キー」を記載したメールをお送りします。",
                       "Enter your current password and the new email address. We mail a "
                       "key to the new address."),
    "my_new_email": ("新しいメールアドレス", "New email address"),
    "my_new_email_hint": ("半角英数字100文字以内", "Half-width characters, at most 100"),
    "my_new_email_confirmation": ("新しいメールアドレス（確認用）", "New email address (confirmation)"),
    "my_new_email_confirmation_hint": ("確認のため、もう一度入力してください。",
                                       "Type it again to confirm."),
    "my_email_button": ("認証キーを送信する", "Send the key"),
    "my_key_title": ("メールアドレスの変更（認証キーの入力）",
                     "Change your email address: enter the key"),
    "my_key_sent": ("{email} 宛に「メールアドレス変更の認証キーのお知らせ」メールを送信しました。"
                    "メールに記載された認証キーを入力し、「完了」を押してください。",
                    "The mail \"Your key to change your email address\" was sent to {email}. "
                    "Enter the key written in it and press Done."),
    "my_key_deadline": ("認証キーの有効期限", "The key is valid until"),
    "my_key_deadline_note": ("メールが配信されてから50分を過ぎると、認証キーは無効になります。"
                             "5回誤って入力した場合も無効になります。",
                             "The key becomes invalid 50 minutes after the mail is delivered, "
                             "or after 5 wrong tries."),
    "my_key": ("認証キー", "Key"),
    "my_key_hint": ("メールに記載されている8文字", "The 8 characters written in the mail"),
    "my_key_button": ("完了", "Done"),
    "my_key_again": ("メールアドレスの入力からやり直す", "Start the email change again"),
    "my_change_over": ("メールアドレス変更の手続きが見つからないか、無効になりました。"
                       "もう一度、新しいメールアドレスを入力してください。",
                       "No email change is in progress, or it is void. Please enter the new "
                       "address again."),
    "my_change_expired": ("認証キーの有効期限が過ぎました。"
                          "もう一度、新しいメールアドレスを入力してください。",
                          "The key has expired. Please enter the new address "
                          "again."),
    "my_change_void": ("認証キーを5回誤って入力したため、この手続きは無効になりました。"
                       "もう一度、新しいメールアドレスを入力してください。",
                       "The key was entered wrongly 5 times, so this change is void. Please "
                       "enter the new address again."),
    "my_email_done_title": ("メールアドレスを変更しました", "Your email address has been changed"),
    "my_email_done_body": ("ログインに使うメールアドレスは {email} になりました。この端末以外のログインは"
                           "すべて終了しました。以前のメールアドレスに変更のお知らせをお送りします。",
                           "You now log in with {email}. Every login except this one has ended. "
                           "A notice is mailed to your previous address."),
    # R19
    "my_sessions_title": ("ログイン中の端末", "Where you are logged in"),
    "my_sessions_intro": ("このアカウントでログインしている端末の一覧です。心当たりのないログインは終了し、"
                          "パスワードを変更してください。",
                          "The devices logged in to this account. End any login you do not "
                          "recognise, and change your password."),
    "my_session_started": ("ログイン日時", "Logged in at"),
    "my_session_last_used": ("最終利用日時", "Last used at"),
    "my_session_address": ("接続元（IPアドレス）", "Connected from (IP address)"),
    "my_session_current": ("（この端末）", "(this device)"),
    "my_session_unknown": ("不明", "Unknown"),
    "my_other_browser": ("その他のブラウザ", "Other browser"),
    "my_session_end": ("このログインを終了する", "End this login"),
    "my_session_end_which": ("（{browser}、{started}にログイン）", "({browser}, logged in {started})"),
    "my_session_ended": ("ログインを1件終了しました。", "One login has ended."),
    "my_session_gone": ("このログインはすでに終了しています。", "That login had already ended."),
    "my_sessions_end_others": ("この端末以外のすべての端末からログアウトする",
                               "Log out of all other devices"),
    "my_sessions_others_ended": ("この端末以外のログインをすべて終了しました。",
                                 "Every login except this one has ended."),
    "my_sessions_only_this": ("ログインしているのはこの端末だけです。",
                              "Only this device is logged in."),
    # R18
    "my_withdrawal_title": ("退会（アカウントの削除）", "Close your account"),
    "my_withdrawal_intro": ("退会すると、次のようになります。よくお読みのうえ、現在のパスワードを入力して"
                            "ください。", "Closing your account means the following. Read it, "
                            "then enter your current password."),
    "my_withdrawal_point1": ("求職者マイページのアカウントは閉じられ、すべての端末からログアウトします。",
                             "Your My Page account is closed and you are logged out everywhere."),
    "my_withdrawal_point2": ("登録したメールアドレスとパスワードは消去されます。"
                             "元に戻すことはできません。",
                             "Your email address and password are erased. This cannot be "
                             "undone."),
    "my_withdrawal_point3": ("もう一度マイページを開設するには、ハローワークの窓口で新しい"
                             "アカウント作成コードの発行を受ける必要があります。",
                             "To open a My Page again you need a new account creation code "
                             "from the office counter."),
    "my_withdrawal_button": ("退会する", "Close my account"),
    "my_withdrawal_done_title": ("退会しました", "Your account is closed"),
    "my_withdrawal_done_body": ("求職者マイページのアカウントを削除しました。ご利用ありがとうございました。"
                                "もう一度マイページを開設するには、ハローワークの窓口で新しい"
                                "アカウント作成コードの発行を受けてください。",
                                "Your My Page account has been closed. Thank you for using it. "
                                "To open a My Page again, ask the office counter for a new "
                                "account creation code."),
    # --- end of My Page ---
}

# Messages the portal itself gives, in the contract's shape (shared.web.messages.Messages).
MESSAGES = Messages(
    errors={
        "SERVICE_UNAVAILABLE": {
            "ja": "ただいまサービスに接続できません。しばらくしてから再度お試しください。",
            "en": "The service cannot be reached right now. Please try again shortly.",
        },
        "BAD_GATEWAY": {
            "ja": "ただいまサービスに接続できません。しばらくしてから再度お試しください。",
            "en": "The service cannot be reached right now. Please try again shortly.",
        },
        "TERMS_NOT_AGREED": {
            "ja": "プライバシーポリシーと利用規約の両方に同意してください。",
            "en": "Please agree to both the privacy policy and the terms of use.",
        },
    }
)


def text(key: str, lang: str, **values: object) -> str:
    """The text `key` in `lang` (ja or en), with {placeholders} filled."""
    ja, en = TEXTS[key]
    chosen = en if lang == "en" else ja
    return chosen.format(**values) if values else chosen

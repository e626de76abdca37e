"""Error and field messages in Japanese (the default) and English, and the client's choice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request

# Messages of the plumbing's own errors; each service adds its own (its messages.py).
BASE_MESSAGES: dict[str, dict[str, str]] = {
    "VALIDATION_FAILED": {"ja": "入力内容に誤りがあります。", "en": "Some fields are invalid."},
    "BAD_REQUEST": {"ja": "リクエストの形式が正しくありません。", "en": "The request is malformed."},
    "NOT_FOUND": {"ja": "指定されたページは存在しません。", "en": "Not found."},
    "METHOD_NOT_ALLOWED": {"ja": "このメソッドは使用できません。", "en": "Method not allowed."},
    "PAYLOAD_TOO_LARGE": {"ja": "送信データが大きすぎます。", "en": "The request body is too large."},
    "UNSUPPORTED_MEDIA_TYPE": {
        "ja": "Content-Type は application/json にしてください。",
        "en": "Content-Type must be application/json.",
    },
    "UNAUTHORIZED": {"ja": "認証が必要です。", "en": "Authentication is required."},
    "RATE_LIMITED": {
        "ja": "リクエストが多すぎます。しばらくしてから再度お試しください。",
        "en": "Too many requests. Please try again later.",
    },
    "SERVICE_UNAVAILABLE": {
        "ja": "ただいま混み合っています。しばらくしてから再度お試しください。",
        "en": "The service is temporarily unavailable. Please try again shortly.",
    },
    "INTERNAL_ERROR": {"ja": "システムエラーが発生しました。", "en": "An internal error occurred."},
}

# Field messages: marshmallow's own English texts and our validators' keys, translated.
FIELD_MESSAGES: dict[str, dict[str, str]] = {
    "Missing data for required field.": {"ja": "必須項目です。", "en": "This field is required."},
    "Unknown field.": {"ja": "不明な項目です。", "en": "Unknown field."},
    "Field may not be null.": {"ja": "null は指定できません。", "en": "This field may not be null."},
    "Not a valid string.": {"ja": "文字列で入力してください。", "en": "Must be a string."},
    "Not a valid integer.": {"ja": "整数で入力してください。", "en": "Must be an integer."},
    "Not a valid boolean.": {"ja": "真偽値で入力してください。", "en": "Must be a boolean."},
    "Not a valid date.": {"ja": "日付の形式が正しくありません。", "en": "Not a valid date."},
    "Not a valid UUID.": {"ja": "IDの形式が正しくありません。", "en": "Not a valid id."},
    "Invalid input type.": {"ja": "JSON オブジェクトで送信してください。",
                            "en": "The body must be a JSON object."},
    "Invalid JSON.": {"ja": "JSON として読み取れません。", "en": "The body is not valid JSON."},
    "Invalid UTF-8.": {"ja": "UTF-8 として読み取れません。", "en": "The body is not valid UTF-8."},
    "Not valid Unicode.": {"ja": "使用できない文字（単独のサロゲート）が含まれています。",
                           "en": "Contains an invalid character (a lone surrogate)."},
}


def language() -> str:
    """'en' when the client asks for English first, else Japanese (the default)."""
    header = request.headers.get("Accept-Language", "") if request else ""
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("ja"):
            return "ja"
    return "ja"



class Messages:
    """Error and field messages in Japanese and English."""

    def __init__(self, errors: Mapping[str, Mapping[str, str]] | None = None,
                 fields: Mapping[str, Mapping[str, str]] | None = None):
        self.errors = {**BASE_MESSAGES, **(errors or {})}
        self.fields = {**FIELD_MESSAGES, **(fields or {})}

    def error(self, code: str, lang: str) -> str:
        texts = self.errors.get(code) or self.errors["INTERNAL_ERROR"]
        return texts.get(lang, texts["ja"])

    def field(self, text: str, lang: str) -> str:
        texts = self.fields.get(text)
        if texts is None and text.startswith("Longer than maximum length"):
            texts = {"ja": "長すぎます。", "en": text}
        if texts is None and text.startswith("Shorter than minimum length"):
            texts = {"ja": "短すぎます。", "en": text}
        if texts is None and text.startswith("Must be one of"):
            texts = {"ja": "指定できない値です。", "en": text}
        return texts.get(lang, texts["ja"]) if texts else text

    def field_errors(self, messages: Any, lang: str) -> dict[str, list[str]]:
        """Flatten marshmallow's messages to {field: [text]} in the client's language."""
        out: dict[str, list[str]] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    name = key if not prefix else f"{prefix}.{key}"
                    walk(name, inner)
            elif isinstance(value, list):
                for inner in value:
                    if isinstance(inner, dict | list):
                        walk(prefix, inner)
                    else:
                        out.setdefault(prefix or "body", []).append(self.field(str(inner), lang))
            else:
                out.setdefault(prefix or "body", []).append(self.field(str(value), lang))

        walk("", messages)
        return out

"""The office API's OpenAPI document tells every answer a caller can get."""

from code_issuer.api import openapi_document


def test_item8_every_office_operation_documents_the_wrong_key_limit():
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            assert {"401", "429"} <= set(operation["responses"]), (method, path)

"""Issue 13 item 1: `GET /v1/whoami` lets the portal check an office API key at sign-in
without touching any job seeker's data."""

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("key", ["dev-office-key", "second-office-key"])
def test_item1_whoami_answers_200_for_every_configured_office_key(client, key, pool):
    response = client.get("/v1/whoami", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.get_json() == {"authenticated": True}
    assert key not in response.get_data(as_text=True)
    with pool.connection() as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM codes) + (SELECT count(*) FROM outbox)"
                            ).fetchone()[0] == 0


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer wrong-key", "Basic dev-office-key",
                                    "Bearer dev-office-key-and-more", "dev-office-key"])
def test_item1_whoami_answers_401_without_a_valid_office_key(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/v1/whoami", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "UNAUTHORIZED"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_item1_whoami_is_in_the_openapi_document_with_its_answers(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/whoami"]["get"]
    assert {"200", "401"} <= set(operation["responses"])
    assert operation["security"] == [{"bearer": []}]

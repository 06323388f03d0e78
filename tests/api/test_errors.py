"""Every answer of the API is JSON ``{code, message}``, also where routing fails."""

from __future__ import annotations

from flask.testing import FlaskClient

from kassa.errors import KassaHTTPError

from .support import API, KEY, bearer


def test_an_unknown_address_answers_json_404_in_the_requests_language(
        client: FlaskClient) -> None:
    response = client.get(f"{API}/no-such-thing?lang=fi")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json() == {"code": "request.not_found",
                                   "message": "Tässä osoitteessa ei ole mitään."}


def test_a_wrong_method_answers_json_405_naming_the_methods_taken(client: FlaskClient) -> None:
    response = client.put(f"{API}/offers", headers={"Accept-Language": "sv-SE"})
    assert response.status_code == 405
    assert response.get_json() == {
        "code": "request.method",
        "message": "Den här adressen tar inte emot den här anropsmetoden."}
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_wrong_method_on_an_address_with_a_parameter_is_405_too(client: FlaskClient) -> None:
    response = client.delete(f"{API}/invoices/FI-1", headers=bearer(KEY))
    assert response.status_code == 405
    assert response.get_json()["code"] == "request.method"


def test_options_names_only_the_methods_the_address_takes(client: FlaskClient) -> None:
    response = client.options(f"{API}/checkout-sessions")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_real_routes_still_answer(client: FlaskClient) -> None:
    response = client.get(f"{API}/offers?amount=12990&currency=EUR&country=FI")
    assert response.status_code == 200
    assert response.get_json()["offers"]


def test_the_one_error_type_has_a_string_code_a_status_and_a_field() -> None:
    error = KassaHTTPError("request.field", "status must be open or done", status=400,
                           field="status")
    assert (error.code, error.status, error.field) == ("request.field", 400, "status")
    assert error.params == {"field": "status"}
    assert KassaHTTPError("checkout.offer", "no such offer").status == 422


def test_identity_refusals_name_the_checkout_country_own_number(client: FlaskClient) -> None:
    from .support import create_session

    def refusal(country: str, language: str, **fields: object) -> dict[str, str]:
        created = create_session(client, country=country,
                                 reference=f"{country}-{language}")
        body = {"offer_id": f"{country.lower()}-12", "channel": "email", "consent": True,
                **fields}
        response = client.post(
            f"{API}/checkout-sessions/{created['id']}/confirm?lang={language}", json=body,
            headers=bearer(created["client_secret"]))
        assert response.status_code in (409, 422), response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    # A Swedish-speaking shopper at a Norwegian shop types a fødselsnummer, not a personnummer.
    assert refusal("NO", "sv", personal_id="") == {
        "code": "checkout.identity.empty", "message": "Ange ditt födelsenummer."}
    assert refusal("SE", "sv", personal_id="")["message"] == "Ange ditt personnummer."
    # Finland identifies with online banking codes (KASSA_STRONG_AUTH_COUNTRIES).
    assert refusal("FI", "sv") == {"code": "checkout.identification_required",
                                   "message": "Identifiera dig först med dina bankkoder."}

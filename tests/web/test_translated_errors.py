"""Errors in the page's language: what the services, the lifecycle, the S10 and tag checks,
the item importer and pydantic refuse is shown in French to a user whose preference is
French (set with the footer's switch), next to its field, in the form's alert or on the
error page. The JSON API answers the same refusals in English, word for word as before,
whatever the user's preference or the Accept-Language header.

Messages are compared after `text_of`, which turns the French no-break spaces (before ":",
";" and inside « ») into plain spaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from httpx import Response

from donations.db import Database
from donations.web import CSRF_FIELD
from tests import factories
from tests.events.helpers import event_count
from tests.factories import World
from tests.web.helpers import WebClient, hidden, item, main_of, shipped, text_of
from tests.web.staff import BAD_S10, csv_file, field_error, full_page, toasts, upload, value_of

SignedIn = Callable[[str], WebClient]
RULE_FR = "une étiquette compte 12 caractères en base32 de Crockford (0-9, A-Z sans I, L, O, U)"


def in_french(browser: WebClient) -> WebClient:
    """The footer's switch: the signed-in user's preference becomes French."""
    response = browser.post("/language", {"lang": "fr", "next": "/"})
    assert response.status_code == 303, response.text
    return browser


def french_user(signed_in: SignedIn, username: str) -> WebClient:
    """A new browser (no language cookie) of a user whose preference is French."""
    in_french(signed_in(username))
    browser = signed_in(username)
    assert browser.http.cookies.get("donations_lang") is None
    assert '<html lang="fr">' in browser.get("/", follow_redirects=True).text
    return browser


def alert(html: str, section_id: str) -> str:
    """The text of the first alert in the section `section_id`."""
    section = html[html.index(f'id="{section_id}"') :]
    start = section.index('role="alert"')
    return text_of(section[start : section.index("</p>", start)].split(">", 1)[1])


def post(browser: WebClient, url: str, data: dict[str, Any], **headers: str) -> Response:
    return browser.http.post(url, data={CSRF_FIELD: browser.csrf()} | data, headers=headers)


@pytest.fixture
def registered(world: World) -> dict[str, Any]:
    """A Korea Post pledge of 10 registered computers, 4 allocated to Tonga Post."""
    pledge = factories.pledge(world, quantity=10, title="Green computers")
    factories.items(world, pledge["id"], 10, prefix="KR-")
    factories.allocate(world, pledge["id"], "TOPOST", 4)
    return pledge


@pytest.fixture
def draft(world: World, registered: dict[str, Any]) -> dict[str, Any]:
    """A draft post shipment to Tonga Post with 2 items packed."""
    shipment = factories.shipment(world, registered["id"], "TOPOST", mode="post")
    world.ok(world.post("korea", f"/api/v1/shipments/{shipment['id']}/items", json={"count": 2}))
    return shipment


class TestPledgePages:
    def test_over_allocation_is_explained_in_french_next_to_the_quantity(
        self, signed_in: SignedIn, registered: dict[str, Any], db: Database
    ) -> None:
        coord = french_user(signed_in, "coord")
        before = event_count(db)
        url = f"/pledges/{registered['id']}/allocations"
        response = coord.post(url, {"recipient": "FJPOST", "quantity": "7"})
        assert response.status_code == 422, response.text
        assert field_error(response.text, "quantity") == (
            f"la promesse de don {registered['id']} compte 10 unités, dont 4 attribuées ; "
            "il n’en reste que 6, et non 7"
        )
        assert value_of(response.text, "quantity") == "7"
        assert event_count(db) == before

    def test_an_unknown_recipient_is_named_in_french(
        self, signed_in: SignedIn, registered: dict[str, Any]
    ) -> None:
        coord = french_user(signed_in, "coord")
        url = f"/pledges/{registered['id']}/allocations"
        response = coord.post(url, {"recipient": "KRPOST", "quantity": "1"})
        assert response.status_code == 422, response.text
        assert field_error(response.text, "recipient") == (
            "KRPOST est une organisation de type donateur, et non destinataire"
        )

    def test_pydantics_own_messages_are_in_french(
        self, signed_in: SignedIn, registered: dict[str, Any]
    ) -> None:
        coord = french_user(signed_in, "coord")
        url = f"/pledges/{registered['id']}/allocations"
        response = coord.post(url, {"recipient": "FJPOST", "quantity": "many"})
        assert response.status_code == 422, response.text
        assert field_error(response.text, "quantity") == (
            "La valeur doit être un nombre entier valide, le texte saisi n’est pas un nombre entier"
        )

        korea = french_user(signed_in, "korea")
        typed = {"title": "Balances", "category": "scale", "quantity": "0", "unit_value": "12"}
        page = korea.post("/pledges/new", typed)
        assert page.status_code == 422, page.text
        assert field_error(page.text, "quantity") == "La valeur doit être supérieure ou égale à 1"

        # a model-level message keeps its field name out of the translation: it is found
        typed |= {"quantity": "3"}
        page = korea.post("/pledges/new", typed)
        assert page.status_code == 422, page.text
        assert field_error(page.text, "currency") == (
            "obligatoire lorsqu’une valeur unitaire est indiquée"
        )
        assert value_of(page.text, "unit_value") == "12"

    def test_a_bad_row_of_an_item_file_is_named_in_french(
        self, signed_in: SignedIn, world: World
    ) -> None:
        korea = french_user(signed_in, "korea")
        pledge = factories.pledge(world, quantity=10)
        url = f"/pledges/{pledge['id']}/items"
        bad = csv_file([("KR-1", "DM500", ""), ("", "DM500", "no serial"), ("KR-3", "", "")])
        response = upload(korea, url, "serials.csv", bad)
        assert response.status_code == 422, response.text
        assert alert(full_page(response), "import") == "ligne 3 : le numéro de série est vide"

        twice = csv_file([("KR-1", "DM500", ""), ("KR-1", "DM500", "")])
        response = upload(korea, url, "serials.csv", twice)
        assert alert(response.text, "import") == (
            "ligne 3 : le numéro de série 'KR-1' figure déjà à la ligne 2"
        )

        long = csv_file([("S" * 101, "DM500", "")])
        response = upload(korea, url, "serials.csv", long)
        assert alert(response.text, "import") == (
            "ligne 2 : colonne serial : La chaîne doit contenir au plus 100 caractères"
        )

        header = b"serial;modele\nKR-1;DM500\n"
        response = upload(korea, url, "serials.csv", header)
        assert alert(response.text, "import") == (
            "la ligne 1 contient des colonnes inconnues (modele) ; utilisez serial,model,notes"
        )

    def test_a_serial_already_registered_is_named_by_its_row_in_french(
        self, signed_in: SignedIn, world: World
    ) -> None:
        korea = french_user(signed_in, "korea")
        pledge = factories.pledge(world, quantity=10)
        factories.items(world, pledge["id"], 2, prefix="KR-")  # KR-0000, KR-0001
        rows = [("KR-0009", "", ""), ("KR-0001", "", ""), ("KR-0000", "", "")]
        response = upload(korea, f"/pledges/{pledge['id']}/items", "s.csv", csv_file(rows))
        assert response.status_code == 422, response.text
        assert alert(response.text, "import") == (
            "ligne 3 : le numéro de série 'KR-0001' est déjà enregistré dans la promesse de don "
            f"{pledge['id']} (ainsi que 1 autre ligne)"
        )

    def test_a_form_that_does_not_validate_gets_a_french_page(
        self, signed_in: SignedIn, registered: dict[str, Any]
    ) -> None:
        korea = french_user(signed_in, "korea")
        response = korea.get(f"/pledges/{registered['id']}?after=soon")
        assert response.status_code == 422, response.text
        text = text_of(main_of(response.text))
        assert "Vérifiez le formulaire" in text
        assert (
            "after : La valeur doit être un nombre entier valide, "
            "le texte saisi n’est pas un nombre entier"
        ) in text


class TestShipmentPages:
    def test_an_invalid_s10_number_is_refused_in_french_next_to_the_field(
        self, signed_in: SignedIn, draft: dict[str, Any], world: World
    ) -> None:
        korea = french_user(signed_in, "korea")
        response = post(korea, f"/shipments/{draft['id']}/dispatch", {"tracking_number": BAD_S10})
        assert response.status_code == 422, response.text
        page = full_page(response)
        dispatch = page[page.index('id="dispatch"') :]
        assert field_error(dispatch, "tracking_number") == (
            "chiffre de contrôle 6 erroné pour le numéro de série 12345678 : 5 attendu"
        )
        assert world.ok(world.get("korea", f"/api/v1/shipments/{draft['id']}"))["status"] == (
            "draft"
        )

    def test_the_inline_s10_check_is_in_french(self, signed_in: SignedIn, world: World) -> None:
        korea = french_user(signed_in, "korea")
        for typed, reason in [
            (BAD_S10, "chiffre de contrôle 6 erroné pour le numéro de série 12345678 : 5 attendu"),
            (
                "JA123456785KR",
                "l’indicateur de service JA appartient à la plage réservée JA-JZ "
                "(plages réservées par l’UPU : JA-JZ, KA-KZ, SA-SZ, TA-TZ, WA-WZ)",
            ),
            (
                "12AB",
                "format incorrect : attendu 2 lettres majuscules (indicateur de service) "
                "+ 8 chiffres (numéro de série) + 1 chiffre de contrôle + 2 lettres majuscules "
                "(code du pays), soit 13 caractères, p. ex. RR287043775IN ; "
                "reçu '12AB' (4 caractères)",
            ),
        ]:
            response = korea.get(
                "/shipments/s10-check", params={"tracking_number": typed, "mode": "post"}
            )
            assert response.status_code == 200, response.text
            assert 'class="field-error"' in response.text
            assert text_of(response.text) == reason

    def test_a_new_shipment_with_an_invalid_s10_number_says_why_in_french(
        self, signed_in: SignedIn, registered: dict[str, Any]
    ) -> None:
        korea = french_user(signed_in, "korea")
        form = {
            "pledge_id": str(registered["id"]),
            "recipient": "TOPOST",
            "mode": "post",
            "tracking_number": "EE123456785XX",
        }
        response = post(korea, "/shipments/new", form)
        assert response.status_code == 422, response.text
        assert field_error(response.text, "tracking_number") == (
            "code de pays inconnu XX : les 2 dernières lettres doivent être le code "
            "ISO 3166-1 alpha-2 du pays de l’opérateur postal émetteur"
        )

    def test_packing_more_than_remains_is_refused_in_french(
        self, signed_in: SignedIn, draft: dict[str, Any]
    ) -> None:
        korea = french_user(signed_in, "korea")
        response = post(korea, f"/shipments/{draft['id']}/pack", {"count": "5"})
        assert response.status_code == 422, response.text
        assert alert(response.text, "packing") == (
            f"TOPOST s’est vu attribuer 4 unités de la promesse de don {draft['pledge_id']}, "
            "dont 2 déjà emballées ou expédiées : il en reste 2, et non 5"
        )

    def test_picking_an_item_already_packed_names_the_item_and_its_state_in_french(
        self, signed_in: SignedIn, draft: dict[str, Any], world: World
    ) -> None:
        korea = french_user(signed_in, "korea")
        packed = world.ok(world.get("korea", f"/api/v1/shipments/{draft['id']}/items"))[0]
        response = post(korea, f"/shipments/{draft['id']}/pack", {"item_ids": str(packed["id"])})
        assert response.status_code == 422, response.text
        message = alert(response.text, "packing")
        assert message == (
            f"article {packed['id']} : impossible d’emballer un article à l’état « emballé » ; "
            "actions possibles depuis l’état « emballé » : retirer de l’envoi, expédier"
        )
        assert "item_ids" not in message  # the form's code name means nothing to a person


class TestTagPages:
    @pytest.fixture
    def sent(self, world: World) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        return shipped(world, count=2)

    def test_an_illegal_step_is_refused_in_french(
        self, signed_in: SignedIn, sent: Any, world: World, db: Database
    ) -> None:
        tonga = french_user(signed_in, "tonga")
        tag = sent[2][0]["tag"]
        before = event_count(db)
        response = tonga.post(f"/t/{tag}/deploy", {"site": "Nuku'alofa"})
        assert response.status_code == 409, response.text
        text = text_of(main_of(response.text))
        assert "Impossible pour le moment" in text
        assert (
            f"article {tag} : impossible de mettre en service un article à l’état « en transit » ; "
            "actions possibles depuis l’état « en transit » : réceptionner, déclarer manquant"
        ) in text
        assert event_count(db) == before and item(world, tag)["state"] == "in_transit"

    def test_an_illegal_step_from_htmx_is_a_french_toast(
        self, signed_in: SignedIn, sent: Any, world: World
    ) -> None:
        tonga = french_user(signed_in, "tonga")
        tag = sent[2][0]["tag"]
        world.ok(world.post("tonga", "/api/v1/scans", json={"tag": tag, "action": "receive"}))
        world.ok(
            world.post(
                "tonga", "/api/v1/scans", json={"tag": tag, "action": "deploy", "site": "Neiafu"}
            )
        )
        response = tonga.post(f"/t/{tag}/receive", {"condition": "damaged"}, target="panel")
        assert response.status_code == 409, response.text
        assert response.headers["HX-Reswap"] == "none"
        assert toasts(response.text) == [
            f"article {tag} : impossible de réceptionner un article à l’état « en service » ; "
            "actions possibles depuis l’état « en service » : aucune (état final)"
        ]

    def test_a_form_error_on_the_tag_page_is_in_french_next_to_its_field(
        self, signed_in: SignedIn, sent: Any, world: World
    ) -> None:
        tonga = french_user(signed_in, "tonga")
        tag = sent[2][0]["tag"]
        world.ok(world.post("tonga", "/api/v1/scans", json={"tag": tag, "action": "receive"}))
        page = tonga.get(f"/t/{tag}").text
        form = {"client_event_id": hidden(page, "client_event_id", f"/t/{tag}/deploy")}
        response = tonga.post(f"/t/{tag}/deploy", form | {"site": " "})
        assert response.status_code == 422, response.text
        body = response.text
        error = body[body.index('id="site-error"') :]
        assert text_of(error[error.index(">") + 1 : error.index("</p>")]) == (
            "obligatoire pour la mise en service (le bureau de poste ou le lieu)"
        )
        response = tonga.post(f"/t/{tag}/deploy", form | {"site": "Neiafu", "lat": "-18.6"})
        assert response.status_code == 422, response.text
        assert "indiquez les deux coordonnées ou aucune" in text_of(response.text)
        response = tonga.post(
            f"/t/{tag}/deploy", form | {"site": "Neiafu", "lat": "-91", "lon": "1"}
        )
        assert response.status_code == 422, response.text
        assert "La valeur doit être supérieure ou égale à -90" in text_of(response.text)


class TestUserPages:
    def test_a_username_taken_is_refused_in_french(
        self, signed_in: SignedIn, world: World, db: Database
    ) -> None:
        coord = french_user(signed_in, "coord")
        before = event_count(db)
        form = {
            "username": "Korea",
            "role": "recipient",
            "organisation": "TOPOST",
            "language": "fr",
            "password": "a long passphrase",
            "password_confirm": "a long passphrase",
        }
        response = coord.post("/users/new", form)
        assert response.status_code == 422, response.text
        assert field_error(response.text, "username") == "'korea' est déjà pris"
        assert event_count(db) == before

        response = coord.post("/users/new", form | {"username": "neiafu", "organisation": ""})
        assert field_error(response.text, "organisation") == (
            "un destinataire doit appartenir à une organisation"
        )
        response = coord.post(
            "/users/new", form | {"username": "neiafu", "password_confirm": "another one"}
        )
        assert field_error(response.text, "password_confirm") == (
            "les mots de passe ne correspondent pas"
        )
        response = coord.post("/users/new", form | {"username": "neiafu", "role": "admin"})
        assert field_error(response.text, "role") == (
            "La valeur doit être 'coordinator', 'donor' ou 'recipient'"
        )


class TestTheApiStaysEnglish:
    """The same refusals through the JSON API: English, word for word, even for users whose
    preference is French and with Accept-Language: fr."""

    FRENCH = {"Accept-Language": "fr"}

    @pytest.fixture
    def french_preferences(self, signed_in: SignedIn, world: World) -> None:
        for username in ("coord", "korea", "tonga"):
            french_user(signed_in, username)

    def call(self, world: World, who: str, url: str, body: Any) -> Any:
        response = world.client.post(url, json=body, headers=world.as_(who) | self.FRENCH)
        assert response.headers["content-type"].startswith("application/json"), response.text
        assert "content-language" not in response.headers
        return response

    def test_over_allocation(
        self, world: World, registered: dict[str, Any], french_preferences: None
    ) -> None:
        url = f"/api/v1/pledges/{registered['id']}/allocations"
        response = self.call(world, "coord", url, {"recipient": "FJPOST", "quantity": 7})
        assert response.status_code == 409
        assert response.json() == {
            "detail": f"quantity: pledge {registered['id']} has 10 units, 4 allocated; "
            "only 6 remain, not 7"
        }
        response = self.call(world, "coord", url, {"recipient": "KRPOST", "quantity": 1})
        assert response.json() == {
            "detail": "recipient: KRPOST is a donor organisation, not a recipient"
        }

    def test_an_invalid_s10_number(
        self, world: World, draft: dict[str, Any], french_preferences: None
    ) -> None:
        url = f"/api/v1/shipments/{draft['id']}/dispatch"
        response = self.call(world, "korea", url, {"tracking_number": BAD_S10})
        assert response.status_code == 422
        assert response.json() == {
            "detail": "tracking_number: wrong check digit 6 for serial number 12345678: expected 5"
        }
        body = {"pledge_id": draft["pledge_id"], "recipient": "TOPOST", "mode": "post"}
        response = self.call(
            world, "korea", "/api/v1/shipments", body | {"tracking_number": "12AB"}
        )
        assert response.status_code == 422
        assert response.json()["detail"] == (
            "tracking_number: bad format: expected 2 upper-case letters (service indicator) "
            "+ 8 digits (serial number) + 1 check digit + 2 upper-case letters (country code), "
            "13 characters, e.g. RR287043775IN; got '12AB' (4 characters)"
        )

    def test_an_illegal_step_and_a_bad_tag(self, world: World, french_preferences: None) -> None:
        _pledge, _shipment, items = shipped(world, count=1)
        tag = items[0]["tag"]
        body = {"tag": tag, "action": "deploy", "site": "Neiafu"}
        response = self.call(world, "tonga", "/api/v1/scans", body)
        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"item {tag}: cannot deploy an item that is in_transit; "
            "allowed from in_transit: receive, close"
        )
        response = self.call(world, "tonga", "/api/v1/scans", body | {"tag": "7KQ2-9XHM"})
        assert response.status_code == 422
        assert response.json()["detail"] == (
            "tag: tag must be 12 characters of Crockford base32 (0-9, A-Z without I, L, O, U); "
            "got 8 characters"
        )

    def test_pydantics_own_messages(
        self, world: World, registered: dict[str, Any], french_preferences: None
    ) -> None:
        url = f"/api/v1/pledges/{registered['id']}/allocations"
        response = self.call(world, "coord", url, {"recipient": "FJPOST", "quantity": "many"})
        assert response.status_code == 422
        assert response.json()["detail"] == (
            "quantity: Input should be a valid integer, unable to parse string as an integer"
        )
        assert response.json()["errors"][0]["msg"] == (
            "Input should be a valid integer, unable to parse string as an integer"
        )
        response = self.call(world, "korea", "/api/v1/pledges", {"title": "T", "quantity": 1})
        assert response.json()["detail"] == "category: Field required"

    def test_a_taken_username(self, world: World, french_preferences: None) -> None:
        body = {"username": "korea", "password": "a long passphrase", "role": "donor"}
        response = self.call(world, "coord", "/api/v1/users", body | {"organisation": "KRPOST"})
        assert response.status_code == 409
        assert response.json() == {"detail": "username: 'korea' is taken"}

    def test_the_same_users_see_french_on_the_pages(
        self, signed_in: SignedIn, registered: dict[str, Any], french_preferences: None
    ) -> None:
        """What makes the API's English meaningful: these users do get French pages."""
        coord = signed_in("coord")
        url = f"/pledges/{registered['id']}/allocations"
        response = coord.post(url, {"recipient": "FJPOST", "quantity": "7"})
        assert field_error(response.text, "quantity").startswith("la promesse de don")

"""The whole programme through the JSON API, as DESIGN.md tells it."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from donations.db import Database
from tests.factories import PASSWORD, make_org, make_user


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()


def test_pledge_to_deployment(client: TestClient, db: Database) -> None:
    with db.session() as session:  # the first coordinator comes from `donations create-user`
        make_org(session, "UPUIB", "UPU International Bureau", "CH", "partner")
        make_user(session, "coord", "coordinator", "UPUIB")
        session.commit()
    coord = login(client, "coord")

    # Coordinator: organisations and users.
    for code, name, country, kind in [
        ("KRPOST", "Korea Post", "KR", "donor"),
        ("TOPOST", "Tonga Post", "TO", "recipient"),
        ("FJPOST", "Post Fiji", "FJ", "recipient"),
    ]:
        ok(
            client.post(
                "/api/v1/organisations",
                headers=coord,
                json={"code": code, "name": name, "country": country, "kind": kind},
            ),
            201,
        )
    for username, role, org in [
        ("korea", "donor", "KRPOST"),
        ("tonga", "recipient", "TOPOST"),
        ("fiji", "recipient", "FJPOST"),
    ]:
        ok(
            client.post(
                "/api/v1/users",
                headers=coord,
                json={
                    "username": username,
                    "password": PASSWORD,
                    "role": role,
                    "organisation": org,
                },
            ),
            201,
        )
    korea, tonga, fiji = login(client, "korea"), login(client, "tonga"), login(client, "fiji")
    assert ok(client.get("/api/v1/me", headers=tonga))["organisation"] == "TOPOST"

    # Donor: a pledge of 200 and its serial numbers as a CSV upload.
    pledge = ok(
        client.post(
            "/api/v1/pledges",
            headers=korea,
            json={
                "title": "Green computers",
                "category": "computer",
                "quantity": 200,
                "programme": "South-South cooperation",
            },
        ),
        201,
    )
    rows = "serial,model,notes\n" + "".join(f"KR-{i:05d},Samsung DM500,\n" for i in range(200))
    imported = ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/items",
            headers=korea,
            files={"file": ("serials.csv", rows, "text/csv")},
        ),
        201,
    )
    assert imported["created"] == 200

    # Coordinator: allocate 20 to Tonga, 30 to Fiji.
    ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/allocations",
            headers=coord,
            json={"recipient": "TOPOST", "quantity": 20},
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/allocations",
            headers=coord,
            json={"recipient": "FJPOST", "quantity": 30},
        ),
        201,
    )

    # Donor: pack 20 for Tonga and dispatch by post with an S10 number.
    shipment = ok(
        client.post(
            "/api/v1/shipments",
            headers=korea,
            json={
                "pledge_id": pledge["id"],
                "recipient": "TOPOST",
                "mode": "post",
                "carrier": "Korea Post EMS",
                "tracking_number": "EE123456785KR",
                "expected_arrival": "2099-01-01",
            },
        ),
        201,
    )
    ok(client.post(f"/api/v1/shipments/{shipment['id']}/items", headers=korea, json={"count": 20}))
    ok(client.post(f"/api/v1/shipments/{shipment['id']}/dispatch", headers=korea, json={}))
    items = ok(client.get(f"/api/v1/shipments/{shipment['id']}/items", headers=tonga))
    assert len(items) == 20 and {i["state"] for i in items} == {"in_transit"}

    # Recipient: receive 19 (one damaged), deploy 5, close with one missing.
    for n, item in enumerate(items[:19]):
        body = {"tag": item["tag"], "action": "receive"}
        if n == 0:
            body |= {"condition": "damaged", "note": "screen cracked"}
        ok(client.post("/api/v1/scans", headers=tonga, json=body))
    for item in items[1:6]:
        ok(
            client.post(
                "/api/v1/scans",
                headers=tonga,
                json={
                    "tag": item["tag"],
                    "action": "deploy",
                    "site": "Nuku'alofa Post Office",
                    "lat": -21.1393,
                    "lon": -175.2049,
                },
            )
        )
    closed = ok(client.post(f"/api/v1/shipments/{shipment['id']}/close", headers=tonga))
    assert closed["status"] == "closed"

    # Stats show exactly that.
    stats = ok(client.get("/api/v1/stats", headers=coord))
    expected = {
        "pledged": 200,
        "allocated": 50,
        "packed": 0,
        "in_transit": 0,
        "received": 14,
        "missing": 1,
        "deployed": 5,
        "damaged": 1,
    }
    assert stats["total"] == expected
    assert stats["by_country"]["TO"] == expected | {"pledged": 20, "allocated": 20}
    assert stats["by_country"]["FJ"] == {k: 0 for k in expected} | {"pledged": 30, "allocated": 30}
    assert stats["by_donor"]["KRPOST"] == expected
    assert ok(client.get("/api/v1/stats", headers=tonga))["total"] == expected | {
        "pledged": 20,
        "allocated": 20,
    }

    # Events show exactly that.
    events = ok(client.get("/api/v1/events?limit=1000", headers=coord))["data"]
    kinds = [e["kind"] for e in events]
    assert kinds.count("item.packed") == 20
    assert kinds.count("item.dispatched") == 20
    assert kinds.count("item.received") == 19
    assert kinds.count("item.deployed") == 5
    assert kinds.count("item.missing") == 1
    assert kinds.count("shipment.closed") == 1
    assert kinds.count("items.imported") == 1
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)
    damaged = next(
        e for e in events if e["kind"] == "item.received" and e["data"]["condition"] == "damaged"
    )
    assert damaged["actor"] == "tonga" and damaged["organisation"] == "TOPOST"
    assert damaged["data"]["note"] == "screen cracked"

    # The exports agree.
    export = client.get("/api/v1/exports/items.csv", headers=coord)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(export.text)))
    assert len(exported) == 200
    assert sum(r["state"] == "missing" for r in exported) == 1
    assert sum(r["condition"] == "damaged" for r in exported) == 1

    # A second recipient sees none of it.
    assert ok(client.get("/api/v1/shipments", headers=fiji))["data"] == []
    assert client.get(f"/api/v1/shipments/{shipment['id']}", headers=fiji).status_code == 404
    assert client.get(f"/api/v1/shipments/{shipment['id']}/items", headers=fiji).status_code == 404
    assert client.get(f"/api/v1/pledges/{pledge['id']}/items", headers=fiji).status_code == 404
    assert ok(client.get("/api/v1/events", headers=fiji))["data"] == [
        e
        for e in ok(client.get("/api/v1/events", headers=fiji))["data"]
        if e["kind"] == "allocation.created"
    ]
    fiji_stats = ok(client.get("/api/v1/stats", headers=fiji))
    assert fiji_stats["total"] == {k: 0 for k in expected} | {"pledged": 30, "allocated": 30}
    assert "TO" not in fiji_stats["by_country"]
    scan = client.post(
        "/api/v1/scans", headers=fiji, json={"tag": items[19]["tag"], "action": "receive"}
    )
    assert scan.status_code == 404
    public = ok(client.get(f"/api/v1/tags/{items[0]['tag']}", headers=fiji))
    assert "serial" not in public and "recipient" not in public

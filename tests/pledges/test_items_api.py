"""A pledge's items through the JSON API: POST (JSON, generate, CSV, XLSX) and GET
/api/v1/pledges/{id}/items."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from donations.app import create_app
from donations.config import Settings
from tests.factories import World, allocate, items, pledge, shipment

HEADER = "serial,model,notes\n"


def items_url(pledge_id: int) -> str:
    return f"/api/v1/pledges/{pledge_id}/items"


def upload(
    world: World,
    pledge_id: int,
    content: bytes | str,
    *,
    filename: str = "serials.csv",
    content_type: str = "text/csv",
    who: str = "korea",
) -> Any:
    return world.post(who, items_url(pledge_id), files={"file": (filename, content, content_type)})


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def item_count(world: World, pledge_id: int) -> int:
    return world.ok(world.get("coord", f"/api/v1/pledges/{pledge_id}"))["item_count"]  # type: ignore[no-any-return]


def serials(world: World, pledge_id: int) -> list[str | None]:
    page = world.ok(world.get("coord", f"{items_url(pledge_id)}?limit=1000"))
    return [i["serial"] for i in page["data"]]


def imports(world: World, pledge_id: int) -> list[dict[str, Any]]:
    page = world.ok(
        world.get("coord", f"/api/v1/events?kind=items.imported&pledge_id={pledge_id}&limit=1000")
    )
    return page["data"]  # type: ignore[no-any-return]


def listed(world: World, who: str, pledge_id: int, query: str = "") -> list[dict[str, Any]]:
    page = world.ok(world.get(who, f"{items_url(pledge_id)}?limit=1000{query}"))
    return page["data"]  # type: ignore[no-any-return]


def grouped_lower(tag: str) -> str:
    return f"{tag[:4]}-{tag[4:8]}-{tag[8:]}".lower()


@pytest.fixture
def registered(world: World) -> dict[str, Any]:
    """A pledge of 10 with two items already registered (SN0000, SN0001)."""
    p = pledge(world, quantity=10)
    items(world, p["id"], 2)
    return p


class TestAddItemsJson:
    def test_registers_items_with_serials(self, world: World) -> None:
        p = pledge(world, quantity=10)
        body = {
            "items": [
                {"serial": "KR-0001", "model": "Samsung DM500", "notes": "box 1"},
                {"serial": " KR-0002 ", "model": " "},
            ]
        }

        created = world.ok(world.post("korea", items_url(p["id"]), json=body), 201)

        assert created["created"] == 2 and created["item_count"] == 2
        first, second = created["data"]
        assert first["serial"] == "KR-0001" and first["model"] == "Samsung DM500"
        assert second["serial"] == "KR-0002" and second["model"] is None
        for item in created["data"]:
            assert item["state"] == "pledged" and item["pledge_id"] == p["id"]
            assert item["recipient"] is None and item["shipment_id"] is None
            assert item["condition"] is None
            assert len(item["tag"]) == 12 and item["tag"].isalnum() and item["tag"].isupper()
        assert first["tag"] != second["tag"]
        [event] = imports(world, p["id"])
        assert event["data"] == {"count": 2, "origin": "json", "item_count": 2}

    def test_batches_add_up(self, world: World, registered: dict[str, Any]) -> None:
        created = world.ok(
            world.post("korea", items_url(registered["id"]), json={"items": [{"serial": "X1"}]}),
            201,
        )

        assert created["created"] == 1 and created["item_count"] == 3
        assert item_count(world, registered["id"]) == 3

    def test_coordinator_registers_items(self, world: World) -> None:
        p = pledge(world, quantity=3)

        created = world.ok(
            world.post("coord", items_url(p["id"]), json={"items": [{"serial": "A"}]}), 201
        )

        assert created["item_count"] == 1

    def test_same_serial_in_another_pledge_is_fine(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        other = pledge(world, quantity=2)

        created = world.ok(
            world.post("korea", items_url(other["id"]), json={"items": [{"serial": "SN0000"}]}),
            201,
        )

        assert created["created"] == 1

    def test_serial_repeated_in_the_request_is_422(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        body = {"items": [{"serial": "A"}, {"serial": "B"}, {"serial": "A"}]}

        response = world.post("korea", items_url(registered["id"]), json=body)

        assert response.status_code == 422
        assert response.json()["detail"] == "items[2]: serial 'A' repeats items[0]"
        assert item_count(world, registered["id"]) == 2
        assert len(imports(world, registered["id"])) == 1

    def test_serial_already_registered_is_422(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        body = {"items": [{"serial": "NEW-1"}, {"serial": "SN0001"}]}

        response = world.post("korea", items_url(registered["id"]), json=body)

        assert response.status_code == 422
        assert response.json()["detail"] == (
            f"items[1]: serial 'SN0001' is already registered in pledge {registered['id']}"
        )
        assert item_count(world, registered["id"]) == 2
        assert len(imports(world, registered["id"])) == 1

    @pytest.mark.parametrize(
        ("serial", "message"),
        [("", "at least 1 character"), ("   ", "blank"), ("S" * 101, "at most 100 characters")],
    )
    def test_bad_serial_is_422_naming_the_item(
        self, world: World, registered: dict[str, Any], serial: str, message: str
    ) -> None:
        body = {"items": [{"serial": "OK-1"}, {"serial": serial}]}

        response = world.post("korea", items_url(registered["id"]), json=body)

        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail.startswith("items.1.serial: ") and message in detail
        assert item_count(world, registered["id"]) == 2

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"items": []}, "items: the list is empty"),
            ({}, "send either items or generate"),
            ({"items": [{"serial": "A"}], "generate": 2}, "not both"),
            (None, "Field required"),  # no body at all, as FastAPI says it
        ],
    )
    def test_malformed_body_is_422(
        self, world: World, registered: dict[str, Any], body: Any, message: str
    ) -> None:
        response = world.post("korea", items_url(registered["id"]), json=body)

        assert response.status_code == 422
        assert message in response.json()["detail"]
        assert item_count(world, registered["id"]) == 2

    def test_invalid_json_is_422(self, world: World, registered: dict[str, Any]) -> None:
        response = world.client.post(
            items_url(registered["id"]),
            content=b'{"items": [',
            headers=world.as_("korea") | {"content-type": "application/json"},
        )

        assert response.status_code == 422
        assert item_count(world, registered["id"]) == 2

    def test_more_items_than_the_pledge_quantity_is_409(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        body = {"items": [{"serial": f"N{i}"} for i in range(9)]}

        response = world.post("korea", items_url(registered["id"]), json=body)

        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"quantity: pledge {registered['id']} is for 10 units and has 2 items; "
            "9 more would make 11"
        )
        assert item_count(world, registered["id"]) == 2
        assert len(imports(world, registered["id"])) == 1

    def test_exactly_the_pledge_quantity_is_fine(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        body = {"items": [{"serial": f"N{i}"} for i in range(8)]}

        created = world.ok(world.post("korea", items_url(registered["id"]), json=body), 201)

        assert created["item_count"] == 10

    @pytest.mark.parametrize("who", ["tonga", "fiji"])
    def test_recipient_is_403(self, world: World, registered: dict[str, Any], who: str) -> None:
        allocate(world, registered["id"], "TOPOST", 5)

        response = world.post(who, items_url(registered["id"]), json={"items": [{"serial": "R"}]})

        assert response.status_code == 403
        assert item_count(world, registered["id"]) == 2

    def test_another_donor_is_404(self, world: World, registered: dict[str, Any]) -> None:
        response = world.post(
            "japan", items_url(registered["id"]), json={"items": [{"serial": "J"}]}
        )

        assert response.status_code == 404
        assert response.json()["detail"] == f"pledge {registered['id']} not found"
        assert item_count(world, registered["id"]) == 2

    def test_unknown_pledge_is_404(self, world: World) -> None:
        response = world.post("coord", items_url(999999), json={"items": [{"serial": "J"}]})

        assert response.status_code == 404
        assert response.json()["detail"] == "pledge 999999 not found"


class TestGenerateItems:
    def test_generates_items_without_serials(self, world: World) -> None:
        p = pledge(world, quantity=5)

        created = world.ok(
            world.post("korea", items_url(p["id"]), json={"generate": 4, "model": "Laptop"}), 201
        )

        assert created["created"] == 4 and created["item_count"] == 4
        assert [i["serial"] for i in created["data"]] == [None] * 4
        assert {i["model"] for i in created["data"]} == {"Laptop"}
        assert len({i["tag"] for i in created["data"]}) == 4
        assert imports(world, p["id"])[0]["data"]["origin"] == "generate"

    def test_generate_twice_adds_up(self, world: World) -> None:
        p = pledge(world, quantity=5)
        world.ok(world.post("korea", items_url(p["id"]), json={"generate": 2}), 201)

        created = world.ok(world.post("korea", items_url(p["id"]), json={"generate": 3}), 201)

        assert created["item_count"] == 5

    def test_generate_beyond_the_quantity_is_409(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        response = world.post("korea", items_url(registered["id"]), json={"generate": 9})

        assert response.status_code == 409
        assert response.json()["detail"].startswith("quantity: ")
        assert item_count(world, registered["id"]) == 2
        assert len(imports(world, registered["id"])) == 1

    @pytest.mark.parametrize("count", [0, -3, "many"])
    def test_bad_count_is_422_naming_generate(
        self, world: World, registered: dict[str, Any], count: Any
    ) -> None:
        response = world.post("korea", items_url(registered["id"]), json={"generate": count})

        assert response.status_code == 422
        assert response.json()["detail"].startswith("generate: ")
        assert item_count(world, registered["id"]) == 2


class TestUploadCsv:
    def test_registers_every_row(self, world: World) -> None:
        p = pledge(world, quantity=10)
        content = HEADER + "KR-1,Samsung DM500,scratched lid\nKR-2,Samsung DM500,\nKR-3,,\n"

        created = world.ok(upload(world, p["id"], content), 201)

        assert created["created"] == 3 and created["item_count"] == 3
        assert [(i["serial"], i["model"]) for i in created["data"]] == [
            ("KR-1", "Samsung DM500"),
            ("KR-2", "Samsung DM500"),
            ("KR-3", None),
        ]
        [event] = imports(world, p["id"])
        assert event["data"] == {"count": 3, "origin": "file", "item_count": 3}

    def test_forgiving_header_bom_separator_and_blank_lines(self, world: World) -> None:
        p = pledge(world, quantity=10)
        content = "\ufeffModel;SERIAL\r\nDM500;KR-1\r\n\r\n;KR-2\r\n".encode()

        created = world.ok(upload(world, p["id"], content), 201)

        assert [(i["serial"], i["model"]) for i in created["data"]] == [
            ("KR-1", "DM500"),
            ("KR-2", None),
        ]

    @pytest.mark.parametrize(
        "content",
        [
            "serial;model;notes\nKR-1;DM500;scratched, dented\nKR-2;DM500;boxed, sealed, ok\n",
            'serial,model,notes\nKR-1,DM500,scratched; dented\nKR-2,DM500,"boxed; sealed"\n',
            "serial\tmodel\tnotes\nKR-1\tDM500\tscratched, dented\nKR-2\tDM500\t\n",
        ],
        ids=["semicolons", "commas", "tabs"],
    )
    def test_separator_is_the_headers(self, world: World, content: str) -> None:
        p = pledge(world, quantity=10)

        created = world.ok(upload(world, p["id"], content), 201)

        assert [(i["serial"], i["model"]) for i in created["data"]] == [
            ("KR-1", "DM500"),
            ("KR-2", "DM500"),
        ]

    def test_serial_column_alone(self, world: World) -> None:
        p = pledge(world, quantity=10)

        created = world.ok(upload(world, p["id"], "serial\nA1\nA2\n"), 201)

        assert [i["serial"] for i in created["data"]] == ["A1", "A2"]

    @pytest.mark.parametrize(
        ("rows", "detail"),
        [
            ("A1,m,\nA2,m,\n,m,\nA4,m,\n", "row 4: serial is empty"),
            ("A1,m,\nA2,m,\n   ,m,\n", "row 4: serial is empty"),
            ("A1,m,\nA2,m,\nA1,m,\n", "row 4: serial 'A1' repeats row 2"),
            ("A1,m,\nA2,m,\nSN0001,m,\n", "row 4: serial 'SN0001' is already registered"),
            ("A1,m,\nA2,m,\n" + "S" * 101 + ",m,\n", "row 4: serial: "),
            ("A1,m,\nA2,m,\nA3," + "M" * 201 + ",\n", "row 4: model: "),
        ],
        ids=["empty", "blank", "repeated", "registered", "too-long", "model-too-long"],
    )
    def test_bad_row_is_422_naming_it_and_nothing_is_written(
        self, world: World, registered: dict[str, Any], rows: str, detail: str
    ) -> None:
        response = upload(world, registered["id"], HEADER + rows)

        assert response.status_code == 422
        assert response.json()["detail"].startswith(detail)
        assert item_count(world, registered["id"]) == 2
        assert serials(world, registered["id"]) == ["SN0000", "SN0001"]
        assert len(imports(world, registered["id"])) == 1

    def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        response = upload(world, registered["id"], HEADER + "A1,m,\n\n\nA1,m,\n")

        assert response.status_code == 422
        assert response.json()["detail"] == "row 5: serial 'A1' repeats row 2"

    def test_more_rows_than_the_pledge_quantity_is_409(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        content = HEADER + "".join(f"N{i},m,\n" for i in range(9))

        response = upload(world, registered["id"], content)

        assert response.status_code == 409
        assert response.json()["detail"].startswith(
            f"quantity: pledge {registered['id']} is for 10 units and has 2 items"
        )
        assert item_count(world, registered["id"]) == 2
        assert len(imports(world, registered["id"])) == 1

    @pytest.mark.parametrize(
        ("content", "detail"),
        [
            ("A1,m,\nA2,m,\n", "file: row 1 must be the header serial,model,notes"),
            ("model,notes\nm,n\n", "file: row 1 must be the header serial,model,notes"),
            ("serial,colour\nA1,red\n", "file: row 1 has unknown column(s) colour"),
            ("serial,model,notes\n", "file: no item rows after the header"),
            ("serial,model,notes\n\n,,\n", "file: no item rows after the header"),
        ],
        ids=["no-header", "no-serial-column", "unknown-column", "header-only", "blank-rows"],
    )
    def test_bad_header_is_422(
        self, world: World, registered: dict[str, Any], content: str, detail: str
    ) -> None:
        response = upload(world, registered["id"], content)

        assert response.status_code == 422
        assert response.json()["detail"].startswith(detail)
        assert item_count(world, registered["id"]) == 2

    def test_non_utf8_bytes_are_422(self, world: World, registered: dict[str, Any]) -> None:
        content = "serial,model,notes\nKR-1,Caméra,\n".encode("latin-1")

        response = upload(world, registered["id"], content)

        assert response.status_code == 422
        assert response.json()["detail"] == "file: not UTF-8 text; save the CSV as UTF-8"
        assert item_count(world, registered["id"]) == 2

    @pytest.mark.parametrize("content", [b"", b"  \n\n \r\n"])
    def test_empty_file_is_422(
        self, world: World, registered: dict[str, Any], content: bytes
    ) -> None:
        response = upload(world, registered["id"], content)

        assert response.status_code == 422
        assert response.json()["detail"] == "file: the file is empty"
        assert item_count(world, registered["id"]) == 2

    def test_file_in_another_field_is_422_naming_file(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        response = world.post(
            "korea",
            items_url(registered["id"]),
            files={"upload": ("serials.csv", HEADER + "A1,m,\n", "text/csv")},
        )

        assert response.status_code == 422
        assert response.json()["detail"].startswith("file: ")
        assert item_count(world, registered["id"]) == 2

    def test_recipient_is_403(self, world: World, registered: dict[str, Any]) -> None:
        response = upload(world, registered["id"], HEADER + "A1,m,\n", who="tonga")

        assert response.status_code == 403
        assert item_count(world, registered["id"]) == 2

    def test_another_donor_is_404(self, world: World, registered: dict[str, Any]) -> None:
        response = upload(world, registered["id"], HEADER + "A1,m,\n", who="japan")

        assert response.status_code == 404
        assert item_count(world, registered["id"]) == 2


class TestUploadXlsx:
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def test_registers_every_row(self, world: World) -> None:
        p = pledge(world, quantity=10)
        content = xlsx(
            [
                ["Serial", "Model", "Notes"],
                ["KR-1", "Samsung DM500", "box 1"],
                [12345, "Samsung DM500", None],
                [None, None, None],
                ["KR-3", None, None],
            ]
        )

        created = world.ok(
            upload(world, p["id"], content, filename="serials.xlsx", content_type=self.XLSX), 201
        )

        assert [(i["serial"], i["model"]) for i in created["data"]] == [
            ("KR-1", "Samsung DM500"),
            ("12345", "Samsung DM500"),
            ("KR-3", None),
        ]
        assert imports(world, p["id"])[0]["data"]["origin"] == "file"

    def test_bad_row_is_422_naming_it_and_nothing_is_written(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        content = xlsx([["serial", "model"], ["A1", "m"], ["A2", "m"], [None, "m"]])

        response = upload(
            world, registered["id"], content, filename="serials.xlsx", content_type=self.XLSX
        )

        assert response.status_code == 422
        assert response.json()["detail"] == "row 4: serial is empty"
        assert item_count(world, registered["id"]) == 2
        assert len(imports(world, registered["id"])) == 1

    def test_serial_already_registered_is_422(
        self, world: World, registered: dict[str, Any]
    ) -> None:
        content = xlsx([["serial"], ["A1"], ["SN0000"]])

        response = upload(
            world, registered["id"], content, filename="serials.xlsx", content_type=self.XLSX
        )

        assert response.status_code == 422
        assert response.json()["detail"].startswith("row 3: serial 'SN0000' is already registered")
        assert item_count(world, registered["id"]) == 2

    def test_missing_header_is_422(self, world: World, registered: dict[str, Any]) -> None:
        content = xlsx([["A1", "m"], ["A2", "m"]])

        response = upload(
            world, registered["id"], content, filename="serials.xlsx", content_type=self.XLSX
        )

        assert response.status_code == 422
        assert response.json()["detail"].startswith("file: row 1 must be the header")

    def test_a_text_file_named_xlsx_is_422(self, world: World, registered: dict[str, Any]) -> None:
        response = upload(
            world,
            registered["id"],
            HEADER + "A1,m,\n",
            filename="serials.xlsx",
            content_type=self.XLSX,
        )

        assert response.status_code == 422
        assert response.json()["detail"].startswith("file: not a readable XLSX workbook")
        assert item_count(world, registered["id"]) == 2

    @pytest.mark.parametrize(
        "content",
        [b"PK\x03\x04 not really a zip archive", b""],
        ids=["corrupt", "zip-without-workbook"],
    )
    def test_a_zip_that_is_not_a_workbook_is_422(
        self, world: World, registered: dict[str, Any], content: bytes
    ) -> None:
        if not content:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr("[Content_Types].xml", "<Types/>")
                archive.writestr("readme.txt", "hello")
            content = buffer.getvalue()

        response = upload(
            world, registered["id"], content, filename="serials.xlsx", content_type=self.XLSX
        )

        assert response.status_code == 422
        assert response.json()["detail"] == "file: not a readable XLSX workbook"
        assert item_count(world, registered["id"]) == 2


class TestUploadLimit:
    @pytest.fixture
    def small_client(self, settings: Settings, world: World) -> Iterator[TestClient]:
        """The app with a 2 KiB upload limit, on the same database as `world`."""
        app = create_app(settings.model_copy(update={"max_upload_bytes": 2048}))
        with TestClient(app) as client:
            yield client
        app.state.db.dispose()

    def send(self, client: TestClient, world: World, pledge_id: int, content: str) -> Any:
        return client.post(
            items_url(pledge_id),
            headers=world.as_("korea"),
            files={"file": ("serials.csv", content, "text/csv")},
        )

    def test_file_under_the_limit_is_accepted(
        self, world: World, small_client: TestClient, registered: dict[str, Any]
    ) -> None:
        response = self.send(small_client, world, registered["id"], HEADER + "A1,m,\n")

        assert response.status_code == 201, response.text

    def test_file_just_over_the_limit_is_413(
        self, world: World, small_client: TestClient, registered: dict[str, Any]
    ) -> None:
        content = HEADER + "A1,m," + "x" * 2100 + "\n"

        response = self.send(small_client, world, registered["id"], content)

        assert response.status_code == 413
        assert response.json()["detail"] == "file: larger than the limit of 2 KiB"
        assert item_count(world, registered["id"]) == 2
        assert len(imports(world, registered["id"])) == 1

    def test_much_larger_body_is_413_before_it_is_read(
        self, world: World, small_client: TestClient, registered: dict[str, Any]
    ) -> None:
        content = HEADER + "".join(f"N{i:06d},model,notes\n" for i in range(10_000))

        response = self.send(small_client, world, registered["id"], content)

        assert response.status_code == 413
        assert response.json()["detail"] == "file: larger than the limit of 2 KiB"
        assert item_count(world, registered["id"]) == 2


@pytest.fixture
def dispatched(world: World) -> dict[str, Any]:
    """A pledge of 10 items (SN0000-SN0009): 4 allocated to Tonga, 3 to Fiji; 3 dispatched
    to Tonga, 2 packed for Fiji in a draft shipment, 5 still pledged."""
    p = pledge(world, quantity=10)
    items(world, p["id"], 10)
    allocate(world, p["id"], "TOPOST", 4)
    allocate(world, p["id"], "FJPOST", 3)
    to_tonga = shipment(world, p["id"], "TOPOST")
    world.ok(world.post("korea", f"/api/v1/shipments/{to_tonga['id']}/items", json={"count": 3}))
    world.ok(world.post("korea", f"/api/v1/shipments/{to_tonga['id']}/dispatch", json={}))
    to_fiji = shipment(world, p["id"], "FJPOST")
    world.ok(world.post("korea", f"/api/v1/shipments/{to_fiji['id']}/items", json={"count": 2}))
    return p | {"tonga_shipment": to_tonga["id"], "fiji_shipment": to_fiji["id"]}


class TestListItems:
    def test_donor_sees_every_item_of_its_pledge(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        got = listed(world, "korea", dispatched["id"])

        assert [i["serial"] for i in got] == [f"SN{i:04d}" for i in range(10)]
        assert (
            sorted(i["state"] for i in got) == ["in_transit"] * 3 + ["packed"] * 2 + ["pledged"] * 5
        )
        assert set(got[0]) >= {
            "id",
            "tag",
            "serial",
            "model",
            "state",
            "condition",
            "pledge_id",
            "recipient",
            "shipment_id",
            "site",
            "lat",
            "lon",
            "received_at",
            "deployed_at",
        }

    def test_coordinator_sees_every_item(self, world: World, dispatched: dict[str, Any]) -> None:
        assert len(listed(world, "coord", dispatched["id"])) == 10

    def test_another_donor_is_404(self, world: World, dispatched: dict[str, Any]) -> None:
        response = world.get("japan", items_url(dispatched["id"]))

        assert response.status_code == 404
        assert response.json()["detail"] == f"pledge {dispatched['id']} not found"

    def test_recipient_sees_only_the_items_dispatched_to_it(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        got = listed(world, "tonga", dispatched["id"])

        assert len(got) == 3
        assert {i["recipient"] for i in got} == {"TOPOST"}
        assert {i["state"] for i in got} == {"in_transit"}
        assert {i["shipment_id"] for i in got} == {dispatched["tonga_shipment"]}

    def test_recipient_with_only_a_draft_shipment_is_404(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        response = world.get("fiji", items_url(dispatched["id"]))

        assert response.status_code == 404
        assert response.json()["detail"] == f"pledge {dispatched['id']} not found"

    def test_recipient_sees_its_items_once_dispatched(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        world.ok(
            world.post(
                "korea", f"/api/v1/shipments/{dispatched['fiji_shipment']}/dispatch", json={}
            )
        )

        got = listed(world, "fiji", dispatched["id"])

        assert len(got) == 2 and {i["recipient"] for i in got} == {"FJPOST"}
        assert len(listed(world, "tonga", dispatched["id"])) == 3

    def test_recipient_on_a_pledge_with_nothing_for_it_is_404(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        other = pledge(world, quantity=2)
        items(world, other["id"], 2)

        response = world.get("tonga", items_url(other["id"]))

        assert response.status_code == 404
        assert response.json()["detail"] == f"pledge {other['id']} not found"

    @pytest.mark.parametrize(
        "query", ["?state=in_transit", "?state=pledged", "?q=SN0000", "?limit=1", "?after=1"]
    )
    def test_filters_do_not_reveal_a_pledge_to_a_recipient(
        self, world: World, dispatched: dict[str, Any], query: str
    ) -> None:
        for pledge_id in (dispatched["id"], 999999):
            response = world.get("fiji", items_url(pledge_id) + query)

            assert response.status_code == 404, (pledge_id, response.text)
            assert response.json()["detail"] == f"pledge {pledge_id} not found"

    def test_recipient_filter_with_no_match_is_an_empty_page(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        assert listed(world, "tonga", dispatched["id"], "&state=received") == []
        assert listed(world, "tonga", dispatched["id"], "&q=SN0009") == []

    @pytest.mark.parametrize(
        ("state", "count"), [("pledged", 5), ("packed", 2), ("in_transit", 3), ("received", 0)]
    )
    def test_state_filter(
        self, world: World, dispatched: dict[str, Any], state: str, count: int
    ) -> None:
        got = listed(world, "korea", dispatched["id"], f"&state={state}")

        assert len(got) == count
        assert all(i["state"] == state for i in got)

    def test_unknown_state_is_422_naming_state(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        response = world.get("korea", items_url(dispatched["id"]) + "?state=lost")

        assert response.status_code == 422
        assert response.json()["detail"].startswith("state: ")

    def test_q_finds_a_serial(self, world: World, dispatched: dict[str, Any]) -> None:
        got = listed(world, "korea", dispatched["id"], "&q=SN0007")

        assert [i["serial"] for i in got] == ["SN0007"]

    def test_q_finds_serials_by_their_start(self, world: World, dispatched: dict[str, Any]) -> None:
        got = listed(world, "korea", dispatched["id"], "&q=SN000")

        assert len(got) == 10

    def test_q_finds_a_tag_typed_in_lower_case_with_dashes(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        item = listed(world, "korea", dispatched["id"])[4]

        got = listed(world, "korea", dispatched["id"], f"&q={grouped_lower(item['tag'])}")

        assert [i["id"] for i in got] == [item["id"]]

    def test_recipient_finds_its_item_by_tag(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        item = listed(world, "tonga", dispatched["id"])[1]

        got = listed(world, "tonga", dispatched["id"], f"&q={grouped_lower(item['tag'])}")

        assert [i["id"] for i in got] == [item["id"]]

    def test_recipient_cannot_find_another_recipients_item_by_tag(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        world.ok(
            world.post(
                "korea", f"/api/v1/shipments/{dispatched['fiji_shipment']}/dispatch", json={}
            )
        )
        fiji_item = listed(world, "fiji", dispatched["id"])[0]

        assert listed(world, "tonga", dispatched["id"], f"&q={fiji_item['tag']}") == []

    def test_q_without_a_match_is_an_empty_page(
        self, world: World, dispatched: dict[str, Any]
    ) -> None:
        assert listed(world, "korea", dispatched["id"], "&q=NOPE") == []
        assert listed(world, "korea", dispatched["id"], "&q=%25") == []

    def test_cursor_paging(self, world: World, dispatched: dict[str, Any]) -> None:
        url = items_url(dispatched["id"])
        pages = [world.ok(world.get("korea", f"{url}?limit=4"))]
        while pages[-1]["next"] is not None:
            pages.append(world.ok(world.get("korea", f"{url}?limit=4&after={pages[-1]['next']}")))

        assert [len(p["data"]) for p in pages] == [4, 4, 2]
        assert [i["serial"] for p in pages for i in p["data"]] == [f"SN{i:04d}" for i in range(10)]

    def test_limit_above_1000_is_422(self, world: World, dispatched: dict[str, Any]) -> None:
        response = world.get("korea", items_url(dispatched["id"]) + "?limit=1001")

        assert response.status_code == 422
        assert response.json()["detail"].startswith("limit: ")

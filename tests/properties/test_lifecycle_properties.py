"""Property tests of the item lifecycle (donations/lifecycle.py), against a model written
here from DESIGN.md's diagram rather than read from the module:

```
pledged --pack--> packed --dispatch--> in_transit --receive--> received --deploy--> deployed
   ^                |                      |                      ^
   +-----unpack-----+                      +--close--> missing ---+ (receive: found later)
```

`ItemLifecycle` drives `transition` with random actions and compares every step with the
model. `ItemThroughTheApi` does the same through the JSON API, where a refused step must
answer 409 (or 404 for what the caller may not see yet) and write nothing, and an accepted
one must write exactly one event for the item.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from donations.lifecycle import (
    EVENT_KINDS,
    Action,
    IllegalTransition,
    State,
    allowed_actions,
    can,
    transition,
)
from tests import factories
from tests.factories import World

# DESIGN.md's diagram, in its own words: state -> {action: new state}, in lifecycle order.
MODEL: dict[str, dict[str, str]] = {
    "pledged": {"pack": "packed"},
    "packed": {"unpack": "pledged", "dispatch": "in_transit"},
    "in_transit": {"receive": "received", "close": "missing"},
    "missing": {"receive": "received"},
    "received": {"deploy": "deployed"},
    "deployed": {},
}
# DESIGN.md, Objects: "Every item state change writes one event for that item".
MODEL_EVENTS = {
    "pack": "item.packed",
    "unpack": "item.unpacked",
    "dispatch": "item.dispatched",
    "receive": "item.received",
    "close": "item.missing",
    "deploy": "item.deployed",
}
ACTIONS = st.sampled_from(list(Action))


def test_the_states_and_actions_are_the_models() -> None:
    assert {s.value for s in State} == set(MODEL)
    assert {a.value for a in Action} == set(MODEL_EVENTS)
    assert {a.value: kind for a, kind in EVENT_KINDS.items()} == MODEL_EVENTS


def _allowed_in_message(message: str, state: str) -> list[str]:
    marker = f"allowed from {state}: "
    assert marker in message, message
    listed = message.split(marker, 1)[1]
    return [] if listed == "none (final state)" else listed.split(", ")


class ItemLifecycle(RuleBasedStateMachine):
    """One item, random actions from `pledged`."""

    def __init__(self) -> None:
        super().__init__()
        self.state = "pledged"
        self.receipts_since_dispatch = 0
        self.dispatches = 0
        self.deploys = 0
        self.history: list[str] = ["pledged"]

    @rule(action=ACTIONS)
    def act(self, action: Action) -> None:
        expected = MODEL[self.state].get(action.value)
        if expected is None:
            with pytest.raises(IllegalTransition) as refused:
                transition(self.state, action)
            error = refused.value
            assert error.state == self.state and error.action == action
            assert [a.value for a in error.allowed] == list(MODEL[self.state])
            message = str(error)
            assert f"cannot {action.value} an item that is {self.state}" in message
            assert _allowed_in_message(message, self.state) == list(MODEL[self.state])
            assert not can(self.state, action)
            return
        assert can(self.state, action)
        new = transition(self.state, action)
        assert new == expected and isinstance(new, State)
        self.state = new.value
        self.history.append(self.state)
        if action == Action.dispatch:
            self.dispatches += 1
            self.receipts_since_dispatch = 0
        elif action == Action.receive:
            self.receipts_since_dispatch += 1
        elif action == Action.deploy:
            self.deploys += 1

    @rule(state=st.sampled_from(list(State)), action=ACTIONS)
    def strings_and_members_agree(self, state: State, action: Action) -> None:
        """`transition` takes plain strings as well as the enums, with the same answer."""
        try:
            by_enum: Any = transition(state, action)
        except IllegalTransition as exc:
            by_enum = (exc.state, exc.action, exc.allowed)
        try:
            by_text: Any = transition(state.value, action.value)
        except IllegalTransition as exc:
            by_text = (exc.state, exc.action, exc.allowed)
        assert by_enum == by_text

    @invariant()
    def the_state_is_in_the_table(self) -> None:
        assert self.state in MODEL
        assert [a.value for a in allowed_actions(self.state)] == list(MODEL[self.state])

    @invariant()
    def an_item_is_received_at_most_once_between_two_dispatches(self) -> None:
        assert self.receipts_since_dispatch <= 1

    @invariant()
    def an_item_is_dispatched_and_deployed_at_most_once(self) -> None:
        assert self.dispatches <= 1
        assert self.deploys <= 1

    @invariant()
    def once_dispatched_it_never_goes_back_to_the_donor(self) -> None:
        if "in_transit" in self.history:
            after = self.history[self.history.index("in_transit") :]
            assert not {"pledged", "packed"} & set(after)

    @invariant()
    def deployed_is_final(self) -> None:
        if "deployed" in self.history:
            assert self.history[-1] == "deployed"
            assert allowed_actions(self.state) == ()


ItemLifecycle.TestCase.settings = settings(
    max_examples=300, stateful_step_count=25, derandomize=True, database=None, deadline=None
)
TestItemLifecycle = ItemLifecycle.TestCase


# --- the same lifecycle, through the API -------------------------------------------------------

CONDITIONS = st.sampled_from(["good", "damaged"])
SITES = st.sampled_from(["Nuku'alofa Post Office", "Neiafu Post Office"])
# What the addressed recipient may see (docs/decisions.md: drafts stay hidden until dispatch).
SEEN_BY_RECIPIENT = {"in_transit", "received", "missing", "deployed"}


class ItemThroughTheApi(RuleBasedStateMachine):
    """One item of its own pledge (allocated 1 to Tonga) and one shipment, driven through the
    API: Korea Post packs, unpacks and dispatches; Tonga Post receives, closes and deploys."""

    world: World

    @initialize()
    def a_pledge_with_one_item(self) -> None:
        world = self.world
        pledge = factories.pledge(world, quantity=1)
        item = factories.items(world, pledge["id"], 1)[0]
        factories.allocate(world, pledge["id"], "TOPOST", 1)
        self.shipment = factories.shipment(world, pledge["id"], "TOPOST")["id"]
        self.item, self.tag = item["id"], item["tag"]
        self.state, self.shipment_status = "pledged", "draft"
        self.condition: str | None = None
        self.site: str | None = None

    # --- reading the app back ---

    def events(self) -> list[dict[str, Any]]:
        page = self.world.ok(self.world.get("coord", f"/api/v1/events?item_id={self.item}"))
        return [e for e in page["data"] if e["item_id"] == self.item]

    def step(self, action: str, who: str, method: str, url: str, **kw: Any) -> Any:
        """Do it; compare the answer and what was written with the model."""
        before = len(self.events())
        response = self.world.client.request(method, url, headers=self.world.as_(who), **kw)
        after = self.events()
        return response, after[: len(after) - before] if len(after) > before else []

    def accepted(self, action: str, response: Any, written: list[dict[str, Any]]) -> None:
        assert response.status_code == 200, response.text
        self.state = MODEL[self.state][action]
        assert [e["kind"] for e in written] == [MODEL_EVENTS[action]], written

    def refused(self, response: Any, written: list[dict[str, Any]], *statuses: int) -> None:
        assert response.status_code in statuses, response.text
        assert written == [], written

    def replayed(self, response: Any, written: list[dict[str, Any]]) -> None:
        assert response.status_code == 200, response.text
        assert response.json()["replayed"] is True
        assert written == []

    def item_refusal_names_the_state(self, response: Any, action: str) -> None:
        detail = response.json()["detail"]
        assert f"cannot {action} an item that is {self.state}" in detail, detail
        assert _allowed_in_message(detail, self.state) == list(MODEL[self.state])

    # --- the steps: any action (mostly refused), or one the model allows now ---

    @rule(action=ACTIONS, condition=CONDITIONS, site=SITES)
    def any_action(self, action: Action, condition: str, site: str) -> None:
        self.do(action.value, condition, site)

    @rule(choice=st.integers(0, 1), condition=CONDITIONS, site=SITES)
    def an_allowed_action(self, choice: int, condition: str, site: str) -> None:
        allowed = list(MODEL[self.state])
        if allowed:
            self.do(allowed[choice % len(allowed)], condition, site)

    def do(self, action: str, condition: str, site: str) -> None:
        if action == "receive":
            self.receive(condition)
        elif action == "deploy":
            self.deploy(site)
        else:
            getattr(self, action)()

    # --- the donor's side ---

    def pack(self) -> None:
        url = f"/api/v1/shipments/{self.shipment}/items"
        response, written = self.step("pack", "korea", "POST", url, json={"item_ids": [self.item]})
        if self.state == "pledged":
            self.accepted("pack", response, written)
        else:
            self.refused(response, written, 409)

    def unpack(self) -> None:
        url = f"/api/v1/shipments/{self.shipment}/items/{self.item}"
        response, written = self.step("unpack", "korea", "DELETE", url)
        if self.state == "packed":
            self.accepted("unpack", response, written)
        else:  # 404: the item is not in this draft; 409: the shipment is no draft any more
            self.refused(response, written, 404, 409)

    def dispatch(self) -> None:
        url = f"/api/v1/shipments/{self.shipment}/dispatch"
        response, written = self.step("dispatch", "korea", "POST", url, json={})
        if self.state == "packed":
            self.accepted("dispatch", response, written)
            self.shipment_status = "dispatched"
        else:
            self.refused(response, written, 409)

    # --- the recipient's side ---

    def receive(self, condition: str) -> None:
        body = {"tag": self.tag, "action": "receive", "condition": condition}
        response, written = self.step("receive", "tonga", "POST", "/api/v1/scans", json=body)
        if self.state not in SEEN_BY_RECIPIENT:
            self.refused(response, written, 404)
        elif self.state == "received" and condition == self.condition:
            self.replayed(response, written)
        elif "receive" in MODEL[self.state]:
            self.accepted("receive", response, written)
            self.condition = condition
            if self.shipment_status == "dispatched":  # its only item: complete
                self.shipment_status = "received"
        else:
            self.refused(response, written, 409)  # received in another condition, or deployed
            self.item_refusal_names_the_state(response, "receive")

    def close(self) -> None:
        url = f"/api/v1/shipments/{self.shipment}/close"
        response, written = self.step("close", "tonga", "POST", url)
        if self.shipment_status == "draft":
            self.refused(response, written, 404)  # not the recipient's to see yet
        elif self.shipment_status == "closed":
            assert response.status_code == 200 and written == []  # closing again: no change
        elif self.state == "in_transit":
            self.accepted("close", response, written)
            self.shipment_status = "closed"
        else:
            self.refused(response, written, 409)

    def deploy(self, site: str) -> None:
        body = {"tag": self.tag, "action": "deploy", "site": site}
        response, written = self.step("deploy", "tonga", "POST", "/api/v1/scans", json=body)
        if self.state not in SEEN_BY_RECIPIENT:
            self.refused(response, written, 404)
        elif self.state == "deployed" and site == self.site:
            self.replayed(response, written)
        elif self.state == "received":
            self.accepted("deploy", response, written)
            self.site = site
        else:
            self.refused(response, written, 409)  # not received yet, or deployed elsewhere
            self.item_refusal_names_the_state(response, "deploy")

    @precondition(lambda self: hasattr(self, "item"))
    @invariant()
    def the_app_agrees_with_the_model(self) -> None:
        item = self.world.ok(self.world.get("coord", f"/api/v1/tags/{self.tag}"))
        assert item["state"] == self.state
        assert item["condition"] == self.condition
        shipment = self.world.ok(self.world.get("coord", f"/api/v1/shipments/{self.shipment}"))
        assert shipment["status"] == self.shipment_status


def test_the_api_follows_the_lifecycle(world: World) -> None:
    """Each example is a new pledge, item and shipment in the test's world."""
    machine = type("Machine", (ItemThroughTheApi,), {"world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )

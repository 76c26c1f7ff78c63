"""The camera on /scan: Chromium's fake camera plays a video of a label's QR code, the page
decodes it (BarcodeDetector, or the vendored jsQR where the browser has none) and receives
the item, once, however long the label stays in view.

This module launches its own Chromium: the fake camera is a launch option. The video file is
written before each test (Chromium opens it when the camera starts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import qrcode

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Pages, sign_in
from tests.factories import World
from tests.web.helpers import item, item_events, shipped

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Screenshot = Callable[["Page", str], Path]
WIDTH, HEIGHT = 640, 480


def expect_in(locator: Locator) -> Any:
    from playwright.sync_api import expect

    return expect(locator)


def write_qr_video(path: Path, text: str, frames: int = 2) -> None:
    """A Y4M video (what Chromium's fake camera plays, in a loop) of the QR code of `text`,
    black on white in the middle of the picture."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    scale = min(WIDTH, HEIGHT) * 9 // 10 // len(matrix)
    size = scale * len(matrix)
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))  # white
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                for y in range(top + row * scale, top + (row + 1) * scale):
                    start = y * WIDTH + left + col * scale
                    luma[start : start + scale] = b"\x10" * scale  # black
    chroma = b"\x80" * (WIDTH * HEIGHT // 4)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "label.y4m"
    write_qr_video(path, "nothing yet")
    return path


@pytest.fixture(scope="module")
def camera_browser(playwright_session: Playwright, camera_video: Path) -> Iterator[Browser]:
    chromium = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={camera_video}",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def camera_pages(camera_browser: Browser, base_url: str) -> Iterator[Pages]:
    opened = Pages(camera_browser, base_url)
    yield opened
    opened.close()


def test_the_camera_receives_the_label_in_view_once(
    camera_pages: Pages,
    camera_video: Path,
    screenshot: Screenshot,
    world: World,
) -> None:
    _, s, items = shipped(world, count=2)
    it = items[0]
    write_qr_video(camera_video, f"http://testserver/T/{it['tag']}")
    page = camera_pages(permissions=["camera"])
    sign_in(page, "tonga", f"/scan?shipment={s['id']}")
    page.get_by_role("button", name="Start camera").click()
    expect_in(page.get_by_role("button", name="Stop camera")).to_be_visible()
    result = page.locator("#scan-result")
    expect_in(result).to_have_attribute("data-kind", "ok", timeout=20_000)
    expect_in(result).to_contain_text("1 of 2 received")
    screenshot(page, "scan camera ok")
    page.wait_for_timeout(1500)  # the label stays in view: it is not sent again
    expect_in(result).to_have_attribute("data-kind", "ok")
    page.get_by_role("button", name="Stop camera").click()
    expect_in(page.locator("video")).to_be_hidden()
    assert item(world, it["tag"])["state"] == "received"
    assert len(item_events(world, it["id"], "item.received")) == 1
    assert camera_pages.errors == []

"""PDF elements drawn with pdf.js: pages on a canvas, page navigation, a download link
that serves the document, and a fallback with the links when the file cannot be drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from switchboard.stack import LocalStack
from tests.browser.conftest import OpenPage, SharedStack
from tests.browser.test_chat import ASSISTANT, send, wait_idle

APPS = Path(__file__).parent / "apps"
PDF_ELEMENT = "[data-testid=element][data-type=pdf]"

# How much of the canvas is not white: a drawn page has its black boxes and text.
INK = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 128 || data[i + 1] < 128 || data[i + 2] < 128)) ink += 1;
  }
  return ink / (canvas.width * canvas.height);
}"""


def make_pdf(pages: list[tuple[str, int]]) -> bytes:
    """A minimal PDF: each page shows a line of Helvetica text and a black box of the
    given width (so pages differ), with a correct cross-reference table."""
    objects: list[bytes] = []
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<</Type/Catalog/Pages 2 0 R>>")
    objects.append(f"<</Type/Pages/Kids[{kids}]/Count {count}>>".encode())
    objects.append(b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>")
    for i, (text, box) in enumerate(pages):
        content = f"BT /F1 18 Tf 20 150 Td ({text}) Tj ET 20 20 {box} 60 re f".encode()
        objects.append(
            f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]"
            f"/Resources<</Font<</F1 3 0 R>>>>/Contents {5 + 2 * i} 0 R>>".encode()
        )
        objects.append(b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "minutes.pdf"
    path.write_bytes(make_pdf([("Page one of the minutes", 120), ("Page two", 240)]))
    return path


@pytest.fixture
def pdf_stack(shared_stack: SharedStack, pdf_file: Path) -> LocalStack:
    return shared_stack(APPS / "pdf_app.py", extra_env={"SWITCHBOARD_TEST_PDF": str(pdf_file)})


async def _ready(open_page: OpenPage, url: str) -> Page:
    page = await open_page(url)
    await expect(page.locator(ASSISTANT).first).to_contain_text("PDF app ready.")
    await wait_idle(page)
    return page


async def test_pdf_pages_are_drawn_and_downloadable(
    open_page: OpenPage, pdf_stack: LocalStack, pdf_file: Path
) -> None:
    page = await _ready(open_page, pdf_stack.url)
    await send(page, "minutes please")
    pdf = page.locator(ASSISTANT).filter(has_text="Here are the minutes.").locator(PDF_ELEMENT)
    viewer = pdf.get_by_test_id("pdf-viewer")
    count = pdf.get_by_test_id("pdf-page-count")
    await expect(count).to_have_text("Page 1 of 2")
    await expect(viewer).to_have_attribute("data-drawn-page", "1")
    canvas = viewer.locator("canvas")
    first_ink = await canvas.evaluate(INK)
    assert first_ink > 0.01, first_ink
    await expect(pdf.get_by_test_id("pdf-previous")).to_be_disabled()

    # The next page is drawn in its place: more ink (a wider box), the count follows.
    await pdf.get_by_test_id("pdf-next").click()
    await expect(count).to_have_text("Page 2 of 2")
    await expect(viewer).to_have_attribute("data-drawn-page", "2")
    second_ink = await canvas.evaluate(INK)
    assert second_ink > first_ink, (first_ink, second_ink)
    await expect(pdf.get_by_test_id("pdf-next")).to_be_disabled()
    await pdf.get_by_test_id("pdf-previous").click()
    await expect(count).to_have_text("Page 1 of 2")

    # The download link saves the very bytes the app sent, under the element's name.
    download_link = pdf.get_by_test_id("pdf-download")
    await expect(download_link).to_have_attribute("download", "minutes.pdf")
    async with page.expect_download() as info:
        await download_link.click()
    download = await info.value
    assert download.suggested_filename == "minutes.pdf"
    saved = await download.path()
    assert Path(saved).read_bytes() == pdf_file.read_bytes()
    await expect(pdf.get_by_test_id("pdf-unavailable")).to_have_count(0)


async def test_pdf_that_cannot_be_drawn_falls_back_to_links(
    open_page: OpenPage, pdf_stack: LocalStack
) -> None:
    page = await _ready(open_page, pdf_stack.url)
    await send(page, "broken")
    pdf = page.locator(ASSISTANT).filter(has_text="Here is a broken PDF.").locator(PDF_ELEMENT)
    await expect(pdf.get_by_test_id("pdf-unavailable")).to_be_visible()
    await expect(pdf.locator("canvas")).to_have_count(0)
    await expect(pdf.get_by_test_id("pdf-open")).to_be_visible()
    await expect(pdf.get_by_test_id("pdf-open")).to_have_accessible_name("Open broken")
    await expect(pdf.get_by_test_id("pdf-download")).to_have_attribute("download", "broken.pdf")

"""The Finnish bank bar code as a printed Code 128 symbol: a bank's scanner reads back the
54 digits, at the size documented in :mod:`kassa.invoicing.code128`; and the EPC QR code on
a euro invoice scans to the invoice's amount and reference."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import groupby

import pypdfium2  # type: ignore[import-untyped]
import pytest
import zxingcpp
from flask import Flask
from fpdf import FPDF

from kassa import get_state
from kassa.core.errors import PaymentReferenceError
from kassa.db import Invoice
from kassa.invoicing.code128 import code128c_modules, code128c_values, draw_code128
from kassa.invoicing.pdf import invoice_pdf
from tests.documents import pdf_codes
from tests.factories import make_invoice

# nordic-rules.md section 5 (Finanssiala "Pankkiviivakoodi-opas" 5.3): version 4, EUR 12.25,
# reference 11112, due 21.12.2016; version 5, EUR 1.10, RF98 11112, due 1.1.2017.
VERSION_4 = "437159030000007760000122500000000000000000011112161221"
VERSION_5 = "537159030000007760000011098000000000000000011112170101"
ISSUED = date(2026, 3, 2)
MM_PER_POINT = 25.4 / 72


def one_page(*codes: tuple[str, float, float]) -> tuple[FPDF, list[float]]:
    pdf = FPDF()  # A4, millimetres
    pdf.add_page()
    widths = [draw_code128(pdf, digits, x, y) for digits, x, y in codes]
    return pdf, widths


def test_check_character_matches_the_published_code_set_c_example() -> None:
    # barcoderesource.com, "Calculation of Code128 Check Character", Code 128C "345678":
    # 34*1 + 56*2 + 78*3 = 380; 380 + 105 (start C) = 485; 485 mod 103 = 73.
    assert code128c_values("345678") == [105, 34, 56, 78, 73, 106]
    # The bank bar code's pairs 43 71 59 03 00 00 00 77 60 00 01 22 50 00 ... 00 01 11 12 16
    # 12 21 (positions 1-27); the non-zero terms: 43*1 + 71*2 + 59*3 + 3*4 + 77*8 + 60*9
    # + 1*11 + 22*12 + 50*13 + 1*22 + 11*23 + 12*24 + 16*25 + 12*26 + 21*27
    # = 43 + 142 + 177 + 12 + 616 + 540 + 11 + 264 + 650 + 22 + 253 + 288 + 400 + 312 + 567
    # = 4297; 4297 + 105 = 4402 = 42*103 + 76.
    assert code128c_values(VERSION_4)[-2:] == [76, 106]


def test_start_c_and_stop_have_the_published_bar_patterns() -> None:
    # barcodeisland.com, Code 128: start C = 11010011100, stop = 11000111010, then the
    # termination bar 11 (1 = one module of bar, 0 = one module of space).
    bits = "".join(("1" if index % 2 == 0 else "0") * width
                   for index, width in enumerate(code128c_modules("345678")))
    assert bits.startswith("11010011100")
    assert bits.endswith("11000111010" + "11")
    assert len(bits) == 11 * 6 + 2


@pytest.mark.parametrize("digits", [
    VERSION_4, VERSION_5, "".join(f"{pair:02d}" for pair in range(100)),
])
def test_every_digit_pair_is_drawn_as_an_independent_encoder_draws_it(digits: str) -> None:
    """zxing-cpp's own Code 128 writer, one pixel per module, gives the same bars and spaces
    (the third case holds every value 00-99 once)."""
    written = zxingcpp.create_barcode(digits, zxingcpp.BarcodeFormat.Code128)
    image = written.to_image(scale=1, add_quiet_zones=False)
    width = image.shape[1]
    # The first row, one byte per pixel (the stub does not know Image is a buffer).
    row = bytes(image)[:width]  # type: ignore[call-overload]
    assert row[0] < 128  # it starts with a bar
    assert [len(list(run)) for _, run in groupby(row)] == code128c_modules(digits)


def test_bank_bar_codes_drawn_in_a_pdf_scan_back_to_their_digits() -> None:
    pdf, widths = one_page((VERSION_4, 18.0, 40.0), (VERSION_5, 18.0, 90.0))
    assert pdf_codes(bytes(pdf.output())) == [("Code128", VERSION_4), ("Code128", VERSION_5)]
    assert widths == [pytest.approx(95.8)] * 2  # 6.4 + 332 modules * 0.25 mm + 6.4


def test_bars_have_the_documented_size_and_quiet_zones() -> None:
    """The printed bars are 83 mm (332 modules of 0.25 mm) by 13 mm and start 6.4 mm inside
    the box the caller gives; nothing is drawn in the quiet zones."""
    pdf, _widths = one_page((VERSION_4, 30.0, 50.0))
    scale = 10.0  # pixels per point: one pixel is 0.035 mm
    document = pypdfium2.PdfDocument(bytes(pdf.output()))
    image = document[0].render(scale=scale, grayscale=True).to_pil()
    document.close()
    pixel = MM_PER_POINT / scale
    dark = image.point(lambda value: 255 if value < 128 else 0).getbbox()
    assert dark is not None
    left, top, right, bottom = (edge * pixel for edge in dark)
    assert left == pytest.approx(30.0 + 6.4, abs=0.1)
    assert right - left == pytest.approx(83.0, abs=0.1)
    assert top == pytest.approx(50.0, abs=0.1) and bottom == pytest.approx(63.0, abs=0.1)


def test_bar_code_still_scans_with_dark_print_right_against_its_box() -> None:
    """Callers lay out by the returned width: print up to the box's edges on both sides and
    the quiet zones inside it keep the code readable."""
    pdf, (width,) = one_page((VERSION_5, 40.0, 40.0))
    pdf.rect(20.0, 40.0, 20.0, 13.0, style="F")
    pdf.rect(40.0 + width, 40.0, 20.0, 13.0, style="F")
    assert pdf_codes(bytes(pdf.output())) == [("Code128", VERSION_5)]


def test_module_or_width_sets_the_size_and_it_still_scans() -> None:
    pdf = FPDF()
    pdf.add_page()
    wide = draw_code128(pdf, VERSION_4, 18.0, 30.0, module=0.4)
    fitted = draw_code128(pdf, VERSION_5, 18.0, 80.0, width=100.0, height=10.0)
    assert wide == pytest.approx(332 * 0.4 + 2 * 6.4)
    assert fitted == pytest.approx(100.0 + 2 * 6.4)
    assert pdf_codes(bytes(pdf.output())) == [("Code128", VERSION_4), ("Code128", VERSION_5)]


@pytest.mark.parametrize("digits", [
    VERSION_4[:-1],  # 53 digits: set C holds pairs only
    "12a4", "", "12 34", "１２",  # letters, nothing, a space, full-width digits
])
def test_anything_but_an_even_number_of_digits_is_refused(digits: str) -> None:
    pdf = FPDF()
    pdf.add_page()
    with pytest.raises(PaymentReferenceError) as raised:
        draw_code128(pdf, digits, 18.0, 30.0)
    assert raised.value.code == "barcode.format"
    if digits == VERSION_4[:-1]:
        assert "53 digits" in str(raised.value) and "even number" in str(raised.value)


def render_invoice(app: Flask, invoice_id: int) -> bytes:
    state = get_state(app)
    with state.db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        return invoice_pdf(invoice, state.config, "fi")


def test_invoice_epc_qr_code_scans_to_the_amount_and_reference(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, amount=12990, issued=ISSUED)
    qr_codes = [text for kind, text in pdf_codes(render_invoice(app, invoice_id))
                if kind == "QRCode"]
    assert len(qr_codes) == 1
    # EPC069-12: BCD, version, character set, SCT, BIC, name, IBAN, EUR amount, purpose,
    # structured reference, ...
    lines = qr_codes[0].splitlines()
    assert (lines[0], lines[3]) == ("BCD", "SCT")
    assert lines[6] == "FI3715903000000776"
    assert lines[7].startswith("EUR") and Decimal(lines[7][3:]) == Decimal("129.90")
    assert lines[9] == "12345672"  # reference of sequence 1234567, structured field


def test_finnish_invoice_prints_the_bank_bar_code_that_scans(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, amount=12990, issued=ISSUED)
    codes = [text for kind, text in pdf_codes(render_invoice(app, invoice_id))
             if kind == "Code128"]
    # version 4 . IBAN without FI . euros . cents . 000 . reference to 20 digits . due YYMMDD
    expected = "4" + "3715903000000776" + "000129" + "90" + "000" + "12345672".rjust(20, "0") \
        + "260316"
    assert codes == [expected]

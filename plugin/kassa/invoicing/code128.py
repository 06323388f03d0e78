"""The Finnish bank bar code (pankkiviivakoodi) drawn as a Code 128 symbol in a PDF (fpdf2).

The 54 digits of :func:`kassa.core.barcode.fi_virtual_barcode` are printed as Code 128 in
code set C: two digits per symbol character. Finance Finland's *Bank Bar Code Guide*
(Finanssiala, "Pankkiviivakoodi-opas" version 5.3, 8 November 2012, corrected 21 October 2019;
section 7 "Printing out the Bank Bar Code") prescribes Code 128 (ISO/IEC 15417, formerly AIM
USS-128) with code set C. The symbol is built here from that standard:

* start character C (value 105), then one character per digit pair (value 00-99),
* the check character: (105 + sum of position x value over the data characters, positions
  counted from 1) mod 103,
* the stop character with its final bar (2331112, 13 modules).

Every character is 3 bars and 3 spaces, 11 modules wide, so a bank bar code is
11 (start) + 27 x 11 (data) + 11 (check) + 13 (stop) = 332 modules.

Dimensions. The guide's own figures for section 7 could not be read from the copies searched
(only its table of contents), so these are Kassa's choices, each inside the usual Code 128
limits and the figures of other bank bar code specifications found:

=================  ==========  ==========================================================
dimension          default     why
=================  ==========  ==========================================================
module (X)         0.25 mm     the narrowest bar; 332 modules give 83 mm of bars, and with
                               the quiet zones the symbol stays under 105 mm, the printed
                               width (quiet zones included) that the open-source
                               "Pankkiviivakoodi" library gives for the Finnish standard;
                               the Estonian banks' bar code standard, also Code 128 set C,
                               asks for 70-105 mm of bars
bar height         13 mm       above the 10 mm that both of those give
quiet zone         6.4 mm      on each side: at least 10 modules (the Code 128 minimum)
                               and at least 6.4 mm (a quarter inch)
=================  ==========  ==========================================================

So by default the symbol is 6.4 + 83.0 + 6.4 = 95.8 mm wide and 13 mm high. A caller may ask
for a wider module (easier to scan) or fix the width of the bars instead.

Errors are :class:`PaymentReferenceError` with code ``barcode.format``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import PaymentReferenceError

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = ["MODULE_MM", "QUIET_MODULES", "QUIET_ZONE_MM", "code128c_modules", "code128c_values",
           "draw_code128", "symbol_width"]

#: Default width of the narrowest bar or space, in millimetres.
MODULE_MM = 0.25
#: Least quiet zone on each side, in millimetres; never fewer than :data:`QUIET_MODULES`.
QUIET_ZONE_MM = 6.4
#: Least quiet zone on each side, in modules (ISO/IEC 15417).
QUIET_MODULES = 10

_START_C = 105
_CHECK_MODULUS = 103
_STOP = 106

# Widths of bar, space, bar, space, bar, space for the values 0-106 (ISO/IEC 15417, table 1);
# 106 is the stop character with its final bar (seven elements).
_PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)


def _format_error(digits: object, reason: str) -> PaymentReferenceError:
    return PaymentReferenceError(
        f"Code 128 set C cannot encode {digits!r}: {reason}.",
        code="barcode.format",
        barcode=str(digits),
    )


def code128c_values(digits: str) -> list[int]:
    """The symbol characters' values for ``digits``: start C (105), one value 0-99 per digit
    pair, the check value, and the stop (106).

    ``digits`` must be a non-empty, even number of ASCII digits (code set C holds pairs only;
    a Finnish bank bar code has 54).
    """
    if not isinstance(digits, str) or not digits:
        raise _format_error(digits, "it needs a non-empty string of digits")
    if not (digits.isascii() and digits.isdigit()):
        raise _format_error(digits, "only the digits 0-9 can be encoded")
    if len(digits) % 2:
        raise _format_error(digits, f"it has {len(digits)} digits, and code set C needs an "
                                    "even number")
    data = [int(digits[i:i + 2]) for i in range(0, len(digits), 2)]
    check = (_START_C + sum(position * value for position, value in enumerate(data, start=1))
             ) % _CHECK_MODULUS
    return [_START_C, *data, check, _STOP]


def code128c_modules(digits: str) -> list[int]:
    """The symbol for ``digits`` as element widths in modules, bar first, alternating bar and
    space, from the start character to the stop's final bar (quiet zones not included).

    The list always has an odd length (it starts and ends with a bar) and sums to
    ``11 * (len(digits) // 2 + 3) + 2`` modules: 332 for the 54 digits of a bank bar code.
    """
    return [int(width) for value in code128c_values(digits) for width in _PATTERNS[value]]


def symbol_width(digits: str, *, module: float = MODULE_MM) -> float:
    """Width in millimetres of the whole symbol for ``digits`` with ``module`` mm per module:
    the bars and both quiet zones."""
    return sum(code128c_modules(digits)) * module + 2 * _quiet_zone(module)


def _quiet_zone(module: float) -> float:
    return max(QUIET_ZONE_MM, QUIET_MODULES * module)


def draw_code128(pdf: FPDF, digits: str, x: float, y: float, *, height: float = 13.0,
                 module: float | None = None, width: float | None = None) -> float:
    """Draw ``digits`` as a Code 128 (set C) symbol on the current page of ``pdf``, as black
    filled rectangles, and return the symbol's width.

    All lengths are in the document's unit (millimetres for Kassa's documents). ``x``, ``y``
    is the top left corner of the symbol *including* its left quiet zone: the first bar starts
    at ``x`` + quiet zone (at least 6.4 mm and 10 modules). The caller keeps the area from
    ``x`` to ``x`` + the returned width, ``height`` high, free of anything else. ``module`` is
    the width of the narrowest bar (default 0.25 mm); or give ``width``, the width of the bars
    alone from the first bar to the last, and the module follows from it. Giving both is an
    error. ``digits`` must be an even number of digits (:class:`PaymentReferenceError`,
    ``barcode.format``, otherwise).
    """
    if module is not None and width is not None:
        raise ValueError("Give either module or width for the bar code, not both.")
    elements = code128c_modules(digits)
    total_modules = sum(elements)
    if width is not None:
        module = width / total_modules
    elif module is None:
        module = MODULE_MM
    if not module > 0 or not height > 0:
        raise ValueError(f"The bar code needs a positive module ({module}) and height "
                         f"({height}).")
    quiet = _quiet_zone(module)
    position = 0  # modules from the first bar
    with pdf.local_context(fill_color=(0, 0, 0)):
        for index, element in enumerate(elements):
            if index % 2 == 0:  # bars are the even elements; spaces stay unprinted
                pdf.rect(x + quiet + position * module, y, element * module, height, style="F")
            position += element
    return total_modules * module + 2 * quiet

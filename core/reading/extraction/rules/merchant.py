"""The merchant's name, address and phone number, from the rows at the top of a receipt."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.reading.extraction.rules.dates import DAY_MONTH_RE, NUMERIC_DATE_RE
from core.reading.extraction.rules.labels import is_compact
from core.reading.extraction.rules.rows import Row


def _initials(*letters: str) -> str:
    """A form printed as dotted initials ("S.A.", "B.V."): the OCR reads a dot as a comma
    ("S,L,") and the name's cleaning drops the last one."""
    return r"\s?".join(rf"{letter}[.,]" for letter in letters[:-1]) + rf"\s?{letters[-1]}[.,]?"


_LEGAL_FORMS = (
    r"SDN\.?\s*B[A-Z]{2}\.?|BHD\.?|S/B|LTD\.?|LIMITED|LLC|INC\.?|CORP\.?|CORPORATION|"
    r"CO\.?|COMPANY|GMBH|AG|KG|OHG|SRL|SAS|SARL|PLC|PTY\.?|PTE\.?|ENTERPRISES?|TRADING|"
    + "|".join(
        _initials(*form)
        for form in ("LLC", "EK", "SA", "SL", "SRL", "SPA", "BV", "NV", "SAS", "SRO", "KK", "PC")
    )
)
# Text whose spaces the OCR dropped ("ROSSIHERMANOSS,L,"): only the dotted forms, whose dots
# set them apart, are found at the end of a word.
_COMPACT_LEGAL_END_RE = re.compile(
    r"(?:"
    + "|".join(_initials(*form) for form in ("LLC", "SA", "SL", "SRL", "SPA", "BV", "NV", "SAS"))
    + r")\W*$"
)
# Forms too short to tell from a word inside a line, so counted only where a name ends: Nordic
# (OY, AB, A/S, ApS), Portuguese and Brazilian (LDA, LTDA), Hungarian, Indian, Belgian, Dutch.
_END_ONLY_FORMS = r"OYJ?|AB|A/S|APS|LDA|LTDA|KFT|ZRT|PVT|LLP|SNC|EURL|BVBA|VOF"
_BUSINESS_WORDS = (
    r"RESTAURANTS?|RESTORAN|RESTAURANTE|RISTORANTE|CAFE|CAFÉ|BISTRO|HARDWARE|MARKET|MART|"
    r"STORES?|SUPERMARKET|STATIONERY|PHARMACY|BAKERY|HOTEL|BAR|GRILL|KITCHEN|PIZZERIA|"
    r"TRATTORIA|BOULANGERIE|APOTHEKE|HOUSE|CENTRE|CENTER|SHOP|BOOKS?|ELECTRICAL|"
    r"FOOD|FOODS|PUB|DELI|BOUTIQUE|SALON|STATION"
)
_LEGAL_SUFFIX_RE = re.compile(r"(?<![A-Z])(?:" + _LEGAL_FORMS + r")(?![A-Z])")
_LEGAL_END_RE = re.compile(
    r"(?:(?<![A-Z])(?:" + _LEGAL_FORMS + "|" + _END_ONLY_FORMS + r")|SDN\.?\s*BHD\.?)\W*$"
)
_BUSINESS_END_RE = re.compile(r"(?<![A-Z])(?:" + _BUSINESS_WORDS + r")\W*$")
_GENERIC_WORD_RE = re.compile(
    r"(?<![A-Z])(?:" + _LEGAL_FORMS + "|" + _BUSINESS_WORDS + r"|AND|THE|OF)(?![A-Z])|&"
)
_SUFFIX_START_RE = re.compile(
    r"^\W*(?:\(M\)\s*)?(?:SDN\.?\s*BHD|SDN|BHD|S/B|LTD|LIMITED|LLC|INC|CORP|GMBH|PLC|PTY|PTE|CO\.|CO\s|COMPANY|ENTERPRISE|"
    r"TRADING|RESTAURANT|RESTORAN)(?![A-Z])"
)
_TITLE_RE = re.compile(
    r"(?<![A-Z])(?:TAX\s*INVOICE|INVOICE|RECEIPT|RECEIPTS|WELCOME|COPY|SIMPLIFIED|CASH\s*BILL|"
    r"CASH\s*SALES?|BILL|CHECK|ORDER|TABLE|CASHIER|THANK|MEMBER|DUPLICATE|REPRINT|"
    r"KASSENBON|QUITTUNG|RECHNUNG|FACTURA|TICKET|RECU|REÇU|FACTURE|SCONTRINO|KVITTO|"
    r"KWITANSI|RESIT|SALES?\s*SLIP|STATEMENT|CUSTOMER|MERCHANT|OPEN|HOURS|GOODS|SOLD|"
    r"RETURN|EXCHANGE|POS|TERMINAL|TRANSACTION|QUOTATION|DOCUMENT|SHOPPING)(?![A-Z])"
)
_COMPACT_TITLE_RE = re.compile(
    r"RECEIPT|INVOICE|WELCOME|CUSTOMER|CASHIER|MERCHANT|DUPLICATE|CHECKOUT|REPRINT|STATEMENT|"
    r"TRANSACTION|SIMPLIFIED|QUITTUNG|RECHNUNG|FACTURA|KASSENBON|THANKYOU"
)
_REG_RE = re.compile(
    r"(?<![A-Z])(?:GST|SST|VAT|TAX|CO\.?\s*-?\s*REG|COMPANY\s*(?:REG|NO)|REG\.?\s*NO|ROC|BR\s*NO|"
    r"ABN|ACN|TIN|NPWP|UST|STEUER|SIRET|SIREN|CIF|NIF|P\.?IVA|BUSINESS\s*NO|CO\.?\s*NO|"
    r"REGISTRATION)(?![A-Z])|\(\s*[A-Z]{0,3}\d{4,}[\w\- ]*\)|\b\d{5,}-?[A-Z]\b"
)
_CONTACT_RE = re.compile(
    r"(?<![A-Z])(?:TEL|TELE?PHONE|PHONE|PH|FAX|H/P|HP|MOBILE|EMAIL|E-MAIL|WEBSITE|WWW|HTTP|"
    r"TLF|TELF|TÉL|TELEFON|FON|CALL|HOTLINE|WHATSAPP)(?![A-Z])|@|\.COM|\.MY\b|WWW\.|\.DE\b|"
    r"\.CO\b|\.NET\b"
)
_STREET_RE = re.compile(
    r"(?<![A-Z])(?:JALAN|JLN|JL|LORONG|LRG|TAMAN|TMN|LOT|NO|ROAD|RD|STREET|ST|AVE|AVENUE|BLVD|"
    r"BOULEVARD|LANE|LN|DRIVE|DR|HWY|HIGHWAY|WAY|PLAZA|FLOOR|FLR|LEVEL|UNIT|BLOCK|BLK|SUITE|"
    r"STE|STR|STRASSE|STRAßE|PLATZ|WEG|RUE|AVENIDA|CALLE|VIA|PIAZZA|CORSO|KM|BATU|SEKSYEN|"
    r"PERSIARAN|BANDAR|KAWASAN|JAYA|MALL|CENTRE|CENTER|SQUARE|SQ|PKT|BUILDING|BLDG|GROUND)"
    r"(?![A-Z])"
)
_POSTCODE_RE = re.compile(r"(?<!\d)\d{5}(?!\d)|(?<![A-Z])[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b")
_PHONE_RE = re.compile(r"\+?\(?\d[\d\s\-()/.]{6,}\d")
_LEADING_LABEL_RE = re.compile(r"^[A-Z]{3,12}\s*:\s*(?=\S)")
_TRAILING_REG_RE = re.compile(
    r"\s*(?:\(\s*[A-Z]{0,3}\s*\d[\w\- ]*\)|\(?\s*(?:CO\.?\s*)?(?:REG\.?\s*)?(?:NO\.?\s*)?:?\s*"
    r"[A-Z]{0,2}\d{4,}[\w\-]*\)?)\s*$"
)
_REG_LABEL_RE = re.compile(
    r"(?<![A-Z])(?:CO\.?\s*-?\s*REG|COMPANY\s*(?:REG|NO)|REG\.?\s*NO|ROC\s*NO|BR\s*NO|"
    r"GST\s*(?:ID|REG|NO)|SST\s*(?:ID|REG|NO)|VAT\s*(?:ID|REG|NO))"
)
_STREET_START_RE = re.compile(
    r"^\W*(?:JALAN|JLN|JL|LORONG|LRG|TAMAN|TMN|PERSIARAN|KAWASAN|LOT|UNIT|BLOCK|BLK|LEVEL|"
    r"FLOOR|SUITE)(?![A-Z])"
)
_ZERO_IN_WORD_RE = re.compile(r"(?<![\w])(?=[A-Za-z]*0)[A-Za-z0]*[A-Za-z][A-Za-z0]*(?![\w])")
_SDN_BHD_RE = re.compile(r"(?<![A-Za-z])S[A-Za-z]N(\.?\s*)B[A-Za-z]D(?=\W*$)", re.IGNORECASE)
_KEY_VALUE_RE = re.compile(r"^[A-Z][A-Z .'/]{1,20}:\s*\S")
_ALPHA_WORD_RE = re.compile(r"[A-Z]{2,}")
_CONNECTOR_END_RE = re.compile(r"(?:&|\bAND|\bOF|\bTHE|-|,|/)\s*$")


@dataclass(frozen=True, slots=True)
class _NameCandidate:
    text: str
    rows: tuple[int, ...]
    tier: int  # 2: ends with a legal form (SDN BHD, LTD...), 1: with a trade word, 0: neither


def _name_tier(name: str) -> int:
    upper = name.upper()
    if not _ALPHA_WORD_RE.search(_GENERIC_WORD_RE.sub(" ", upper)):
        return 0  # only generic words, e.g. "BISTRO & CAFE": a tagline, not a name
    if _LEGAL_END_RE.search(upper) or (is_compact(upper) and _COMPACT_LEGAL_END_RE.search(upper)):
        return 2
    return 1 if _BUSINESS_END_RE.search(upper) else 0


def letters_ratio(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c.isalpha() for c in chars) / len(chars)


def _is_address(upper: str) -> bool:
    has_digit = any(c.isdigit() for c in upper)
    streets = {m.group() for m in _STREET_RE.finditer(upper)}
    if _REG_RE.search(upper):
        streets.discard("NO")  # "REG NO: 1203194-W" is no street number
        if not streets:
            return False
    street = bool(streets)
    if has_digit and (street or _POSTCODE_RE.search(upper)):
        return True
    return bool(re.match(r"^\s*\d+[\w/-]*\s*,", upper))


def _is_contact(upper: str) -> bool:
    return bool(_CONTACT_RE.search(upper))


_STORE_NUMBER_RE = re.compile(r"\s*\d{1,5}\s*")


def _registration_or_store_number(match: re.Match[str]) -> str:
    """Nothing for a registration number after a name ("(519537-X)"), but a store's number
    ("#4144") stays: it tells which of a chain's stores, and no registry numbers with "#"."""
    after_hash = match.string[: match.start()].endswith("#")
    return match.group() if after_hash and _STORE_NUMBER_RE.fullmatch(match.group()) else ""


def _clean_name(text: str) -> str:
    name = re.sub(r"(?<=\d)·", "-", text.strip())  # "(519537·X)": the OCR's hyphen after a digit
    reg = _REG_LABEL_RE.search(name.upper())
    if reg and reg.start() > 0:
        name = name[: reg.start()]  # "ADVANCO COMPANY Company Reg. No"
    name = _TRAILING_REG_RE.sub(_registration_or_store_number, name)
    name = _ZERO_IN_WORD_RE.sub(lambda m: m.group().replace("0", "O"), name)  # "AEON C0." (OCR)
    name = _SDN_BHD_RE.sub(r"SDN\1BHD", name)  # "SDN BND", "San Bhd": OCR slips on the suffix
    name = re.sub(r"(?<![A-Za-z])S/[D8]$", "S/B", name)  # Malaysia's "S/B" (Sdn Bhd), misread
    upper = name.upper()
    label = _LEADING_LABEL_RE.match(upper)
    if label and _LEGAL_SUFFIX_RE.search(upper[label.end() :]):
        name = name[label.end() :]
    return re.sub(r"\s+", " ", name).strip(" .,:;-*#")


def _is_name_like(row: Row) -> bool:
    cleaned = _clean_name(row.text)
    upper = cleaned.upper()
    if len([c for c in upper if c.isalpha()]) < 3 or letters_ratio(upper) < 0.6:
        return False
    if row.amounts or _TITLE_RE.search(upper) or _is_contact(upper):
        return False
    if is_compact(upper) and _COMPACT_TITLE_RE.search(upper):
        return False
    if _REG_RE.search(upper) and not _LEGAL_SUFFIX_RE.search(upper):
        return False
    if (_STREET_START_RE.search(upper) or _KEY_VALUE_RE.search(upper)) and not (
        _LEGAL_SUFFIX_RE.search(upper)
    ):
        return False  # "JALAN ...", "MODE: CASH"
    return not _is_address(upper)


def _is_stop_row(row: Row) -> bool:
    upper = row.upper
    return (
        _is_address(upper)
        or _is_contact(upper)
        or bool(row.amounts)
        or bool(NUMERIC_DATE_RE.search(upper))
        or bool(DAY_MONTH_RE.search(upper))
    )


def _name_candidates(rows: Sequence[Row], limit: int = 10) -> list[_NameCandidate]:
    """Name-like rows at the top, stopping at the address / contact block."""
    picked: list[int] = []
    for index, row in enumerate(rows[:limit]):
        if _is_name_like(row):
            picked.append(index)
        elif picked and _is_stop_row(row) and not _REG_RE.search(row.upper):
            break
    candidates: list[_NameCandidate] = []
    i = 0
    while i < len(picked):
        group = [picked[i]]
        while (
            i + 1 < len(picked)
            and picked[i + 1] == group[-1] + 1
            and _should_join(rows[group[-1]].text, rows[picked[i + 1]].text)
        ):
            i += 1
            group.append(picked[i])
        text = _clean_name(" ".join(_clean_name(rows[g].text) for g in group))
        candidates.append(_NameCandidate(text, tuple(group), _name_tier(text)))
        i += 1
    return candidates


def _legal_name_below(rows: Sequence[Row], after: int, limit: int = 8) -> _NameCandidate | None:
    """A name-like row ending with a legal form, below the top block and above the items."""
    for index in range(after + 1, min(limit, len(rows))):
        row = rows[index]
        if row.amounts:
            return None
        text = _clean_name(row.text)
        if _is_name_like(row) and _name_tier(text) == 2:
            return _NameCandidate(text, (index,), 2)
    return None


def _should_join(first: str, second: str) -> bool:
    a, b = _clean_name(first).upper(), _clean_name(second).upper()
    if len(a) + len(b) > 70:
        return False
    if a.count("(") > a.count(")") or _CONNECTOR_END_RE.search(a):
        return True
    return bool(_SUFFIX_START_RE.search(b)) and not _LEGAL_END_RE.search(a)


MERCHANT_MIN_OCR_SCORE = 0.9
# Below this recognition score a line at the top is more likely a logo or artwork than text.
LOGO_OCR_SCORE = 0.75


_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return len(_CJK_RE.findall(text)) / len(letters) if letters else 0.0


def _latin_rest(rows: Sequence[Row], candidate: _NameCandidate) -> bool:
    """Whether nine in ten of the letters outside the candidate's rows are not CJK."""
    text = "".join(row.text for i, row in enumerate(rows) if i not in candidate.rows)
    return _cjk_share(text) < 0.1


def _ocr_score(rows: Sequence[Row], candidate: _NameCandidate) -> float:
    return min(cell.score for i in candidate.rows for cell in rows[i].cells)


def choose_merchant(rows: Sequence[Row]) -> tuple[str | None, float, int | None]:
    candidates = _name_candidates(rows)
    # Printed shop names are capitalised; an all-lower-case line is a note or a customer name.
    candidates = [c for c in candidates if c.tier or not c.text.islower()] or candidates
    # Noise read as CJK characters: a receipt whose other text is in Latin letters has no CJK
    # name.
    candidates = [c for c in candidates if _cjk_share(c.text) < 0.5 or not _latin_rest(rows, c)]
    if not candidates:
        return None, 0.0, None
    top = candidates[:4]
    if max(c.tier for c in top) == 0 and (legal := _legal_name_below(rows, top[-1].rows[-1])):
        # "<TRADE NAME>" / address / "<COMPANY> S.L.": the company's legal name, printed under
        # the address of a trading name that tells nothing, names the merchant; less surely.
        return legal.text[:200], 0.45, legal.rows[-1]
    # A logo the OCR cannot read comes out as a short, badly scored word above the printed
    # name ("YVO" over "WENDY'S"): of the same tier, a line read well comes first.
    best = max(top, key=lambda c: (c.tier, _ocr_score(rows, c) >= LOGO_OCR_SCORE, -c.rows[0]))
    conf = {2: 0.85, 1: 0.7, 0: 0.55}[best.tier]
    if best.rows[0] > 3:
        conf -= 0.15
    # A name the OCR was unsure of is often misspelt: ask the user about it.
    if _ocr_score(rows, best) < MERCHANT_MIN_OCR_SCORE:
        conf -= 0.2
    if any(c.rows[0] < best.rows[0] and c.tier == best.tier for c in top):
        conf -= 0.1  # an unreadable line above it may have been the name
    return best.text[:200], round(conf, 2), best.rows[-1]


def find_address(rows: Sequence[Row], after: int | None) -> str | None:
    if after is None:
        return None
    parts: list[str] = []
    for row in rows[after + 1 : after + 8]:
        upper = row.upper
        if _is_contact(upper) or row.amounts or _TITLE_RE.search(upper):
            break
        if _REG_RE.search(upper) and not _is_address(upper):
            if parts:
                break
            continue
        if _is_address(upper) or (parts and letters_ratio(upper) > 0.6 and len(parts) < 5):
            parts.append(row.text.strip(" ,"))
        elif parts:
            break
    return ", ".join(parts)[:500] if parts else None


_PHONE_LABEL_RE = re.compile(
    r"(?<![A-Z])(?:TEL|TELE?PHONE|PHONE|PH|H/P|HP|MOBILE|TLF|TELF|TÉL|TELEFON|FON)(?![A-Z])"
)


def find_phone(rows: Sequence[Row], limit: int = 15) -> str | None:
    for row in rows[:limit]:
        label = _PHONE_LABEL_RE.search(row.upper)
        if not label:
            continue
        match = _PHONE_RE.search(row.upper, label.end())
        if match and sum(c.isdigit() for c in match.group()) >= 7:
            return match.group().strip()[:50]
    return None

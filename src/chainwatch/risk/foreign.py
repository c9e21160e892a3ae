"""Foreign suppliers as nodes of the province network, and the industry of what they sell.

Customs imports become links from one node per (country, HS 6-digit product) to the importing
firm, so that "imports from Japan cut" and "HS 370790 unavailable" are shocks on nodes like any
firm's. A node needs a sector for the essentiality matrix: the GB/T 4754-2017 division that makes
the product at home. :func:`hs_division` maps an HS 2017 code to it by chapter, with the headings
whose chapter spans several divisions listed separately. The table is chainwatch's own reading
of the HS 2017 nomenclature (chapter and heading texts) against the GB/T 4754-2017 division
descriptions; it is coarse by design (one division per chapter or heading).
"""

from __future__ import annotations

from chainwatch.errors import ValidationError

FOREIGN_PREFIX = "foreign:"

# HS 2017 chapter → GB/T 4754-2017 division.
CHAPTERS: dict[str, str] = {
    "01": "03", "02": "13", "03": "04", "04": "14", "05": "13", "06": "01", "07": "01",
    "08": "01", "09": "01", "10": "01", "11": "13", "12": "01", "13": "02", "14": "02",
    "15": "13", "16": "13", "17": "13", "18": "14", "19": "14", "20": "13", "21": "14",
    "22": "15", "23": "13", "24": "16", "25": "10", "26": "09", "27": "25", "28": "26",
    "29": "26", "30": "27", "31": "26", "32": "26", "33": "26", "34": "26", "35": "26",
    "36": "26", "37": "26", "38": "26", "39": "29", "40": "29", "41": "19", "42": "19",
    "43": "19", "44": "20", "45": "20", "46": "20", "47": "22", "48": "22", "49": "23",
    "50": "17", "51": "17", "52": "17", "53": "17", "54": "28", "55": "28", "56": "17",
    "57": "17", "58": "17", "59": "17", "60": "17", "61": "18", "62": "18", "63": "17",
    "64": "19", "65": "18", "66": "41", "67": "41", "68": "30", "69": "30", "70": "30",
    "71": "32", "72": "31", "73": "33", "74": "32", "75": "32", "76": "32", "78": "32",
    "79": "32", "80": "32", "81": "32", "82": "33", "83": "33", "84": "34", "85": "38",
    "86": "37", "87": "36", "88": "37", "89": "37", "90": "40", "91": "40", "92": "24",
    "93": "33", "94": "21", "95": "24", "96": "41", "97": "24",
}  # fmt: skip

# HS headings (4 digits) made in another division than their chapter's.
HEADINGS: dict[str, str] = {
    "2601": "08",  # iron ores → 黑色金属矿采选业
    "2701": "06", "2702": "06", "2703": "06", "2704": "25",  # coal, lignite, peat, coke
    "2709": "07", "2711": "07",  # crude petroleum, natural gas → 石油和天然气开采业
    "2716": "44",  # electrical energy → 电力、热力生产和供应业
    "3818": "39",  # doped chemical elements for electronics (wafers) → 电子专用材料
    **{f"39{n:02d}": "26" for n in range(1, 15)},  # plastics in primary forms → 合成材料
    "7113": "24", "7114": "24", "7116": "24", "7117": "24",  # jewellery → 工艺美术
    "8415": "38", "8418": "38", "8450": "38", "8451": "38",  # household appliances
    "8471": "39", "8472": "34", "8473": "39",  # computers and their parts
    "8479": "35", "8486": "35",  # special-purpose machines, semiconductor equipment
    **{f"84{n}": "35" for n in range(32, 39)},  # agricultural and food machinery
    "8517": "39", "8518": "39", "8519": "39", "8521": "39", "8522": "39", "8523": "39",
    "8525": "39", "8526": "39", "8527": "39", "8528": "39", "8529": "39",  # electronics
    "8532": "39", "8533": "39", "8534": "39", "8540": "39", "8541": "39", "8542": "39",
    "8711": "37", "8712": "37", "8713": "37", "8714": "37",  # motorcycles, bicycles
    "9018": "35", "9019": "35", "9020": "35", "9021": "35", "9022": "35",  # medical devices
    "9405": "38",  # lamps → 照明器具
}  # fmt: skip


def hs_division(hs_code: str) -> str:
    """The GB/T 4754 division that makes the product ``hs_code`` (2 to 10 digits)."""
    code = str(hs_code).strip()
    if not (code.isdigit() and len(code) >= 2):
        raise ValidationError(f"HS code {hs_code!r}: expected 2 to 10 digits such as 370790.")
    if code[:4] in HEADINGS:
        return HEADINGS[code[:4]]
    if code[:2] not in CHAPTERS:
        raise ValidationError(
            f"HS code {hs_code!r} starts with chapter {code[:2]}, which does not exist "
            "(chapters run from 01 to 97, 77 is unused)."
        )
    return CHAPTERS[code[:2]]


def foreign_node(country: str, hs_code: str) -> str:
    """Node id of the foreign supplier of ``hs_code`` in ``country``: foreign:JP:370790."""
    return f"{FOREIGN_PREFIX}{country}:{hs_code}"

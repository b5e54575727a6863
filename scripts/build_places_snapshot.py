"""Regenerate the frozen places snapshot in ``linkages/data/places/``.

A build-time tool, never imported by the app: the app loads the committed JSON files with
``flask places load`` (``linkages.services.places.load_places``). Run it only when the
administrative map changes, then review the diff and commit the JSON files.

How to run (the source package stays out of the project's dependencies)::

    python3 -m venv /tmp/vau
    /tmp/vau/bin/pip install vietnamadminunits        # MIT, by Tran Ngoc Minh Hieu
    /tmp/vau/bin/python scripts/build_places_snapshot.py \
        --reference ../shared/reference/data         # the default; holds the two files below

Sources:
- ``vietnamadminunits`` (PyPI): the 34 provinces and 3,321 communes in force since
  1 July 2025 (table ``admin_units`` of its ``dataset.db``), the 63 legacy provinces (table
  ``admin_units_legacy``) and its legacy → 2025 province table (``converter_2025.json``),
  used here only as a cross-check.
- ``provinces_34_2025.json`` and ``provinces_63_legacy.json`` (project reference data):
  the legacy → 2025 mapping, the official six-region membership of the 63 legacy provinces
  and the provisional region of each of the 34.

Every count and cross-reference is checked; the script exits non-zero (writing nothing) if
any check fails.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import unicodedata
from collections import Counter
from importlib import metadata, resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "linkages" / "data" / "places"
REFERENCE = ROOT.parent / "shared" / "reference" / "data"

PROVINCE_COUNT = 34
COMMUNE_COUNT = 3321
LEGACY_COUNT = 63
COMMUNE_KINDS = {"Xã": "xã", "Phường": "phường", "Đặc khu": "đặc khu"}

# The six socio-economic regions, north to south.
REGIONS = [
    ("TDMNPB", "Trung du và miền núi phía Bắc", "Northern Midlands and Mountains"),
    ("DBSH", "Đồng bằng sông Hồng", "Red River Delta"),
    ("BTB_DHMT", "Bắc Trung Bộ và duyên hải miền Trung", "North Central and Central Coast"),
    ("TN", "Tây Nguyên", "Central Highlands"),
    ("DNB", "Đông Nam Bộ", "Southeast"),
    ("DBSCL", "Đồng bằng sông Cửu Long", "Mekong River Delta"),
]
SCHEMES = [
    {
        "code": "VN6_2021_2030",
        "name": "Sáu vùng kinh tế - xã hội (Quy hoạch tổng thể quốc gia 2021–2030)",
        "name_en": "Six socio-economic regions (national master plan 2021–2030)",
        "province_set": "legacy",
        "provisional": False,
        "source": (
            "Quy hoạch tổng thể quốc gia thời kỳ 2021–2030, tầm nhìn đến năm 2050 (Nghị quyết "
            "81/2023/QH15 ngày 9/1/2023); membership over the 63 provinces before 1 July 2025. "
            "Valid from the start of the plan period (2021-01-01)."
        ),
        "valid_from": "2021-01-01",
        "field": "region_2021_2030",
    },
    {
        "code": "VN6_2025_PROVISIONAL",
        "name": "Sáu vùng kinh tế - xã hội, tạm xếp theo 34 tỉnh, thành phố (từ 1/7/2025)",
        "name_en": "Six socio-economic regions over the 34 provinces, provisional (2025)",
        "province_set": "2025",
        "provisional": True,
        "source": (
            "Provisional: no official mapping of the six regions onto the 34 provinces in "
            "force since 1 July 2025 exists yet. Seven merged provinces straddle old regions "
            "(24, 25, 51, 52, 66, 68, 80); each is placed in one region as a working "
            "assumption of this project. Replace with the official mapping once published."
        ),
        "valid_from": "2025-07-01",
        "field": "region_provisional",
    },
]


def fold(text: str) -> str:
    """ASCII letters only: 'Hồ Chí Minh' -> 'Ho Chi Minh' (English names are written so)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class CheckFailed(Exception):
    """The source data failed a check; nothing is written."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def package_rows(sql: str) -> list[dict[str, Any]]:
    db_path = resources.files("vietnamadminunits") / "data" / "dataset.db"
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql)]


def package_province_merges() -> dict[str, list[str]]:
    path = resources.files("vietnamadminunits") / "data" / "converter_2025.json"
    return json.loads(path.read_text(encoding="utf-8"))["DICT_PROVINCE"]


def build(reference: Path) -> dict[str, Any]:
    ref34 = json.loads((reference / "provinces_34_2025.json").read_text(encoding="utf-8"))
    ref63 = json.loads((reference / "provinces_63_legacy.json").read_text(encoding="utf-8"))
    ref34_by_code = {p["code"]: p for p in ref34}
    check(len(ref34_by_code) == PROVINCE_COUNT, f"reference lists {len(ref34_by_code)} provinces")
    check(len({p["code"] for p in ref63}) == LEGACY_COUNT, "reference legacy count")

    # --- provinces (34) -------------------------------------------------------------------
    prov_rows = package_rows(
        "SELECT DISTINCT provinceCode, province, provinceShort, provinceKey FROM admin_units"
    )
    check(len(prov_rows) == PROVINCE_COUNT, f"package has {len(prov_rows)} provinces")
    provinces = []
    key_to_code = {}
    for row in sorted(prov_rows, key=lambda r: r["provinceCode"]):
        code = row["provinceCode"]
        ref = ref34_by_code.get(code)
        check(ref is not None, f"province {code} missing from the reference list")
        check(
            ref["name"] in (row["province"], row["provinceShort"]),
            f"province {code}: {row['province']!r} vs reference {ref['name']!r}",
        )
        is_city = ref["type"] == "thành phố trung ương"
        check(is_city == row["province"].startswith("Thành phố"), f"province {code}: kind")
        short = row["provinceShort"]
        name_en = "Ho Chi Minh City" if code == "79" else fold(short) + (
            " City" if is_city else " Province"
        )
        provinces.append(
            {
                "code": code,
                "name": row["province"],
                "short_name": short,
                "name_en": name_en,
                "kind": ref["type"],
            }
        )
        key_to_code[row["provinceKey"]] = code

    # --- communes (3,321) -----------------------------------------------------------------
    ward_rows = package_rows(
        "SELECT wardCode, ward, wardType, provinceCode FROM admin_units ORDER BY wardCode"
    )
    communes = []
    for row in ward_rows:
        code, name = row["wardCode"], row["ward"]
        check(len(code) == 5 and code.isdigit(), f"commune code {code!r}")
        prefix = next((p for p in COMMUNE_KINDS if name.startswith(p + " ")), None)
        check(prefix is not None, f"commune {code}: {name!r} names no kind")
        if prefix != row["wardType"]:
            # In vietnamadminunits 1.0.4 four rows (10543, 11848 in Hải Phòng; 31213, 31299
            # in Cần Thơ) carry a wardType that contradicts their official name, swapped in
            # pairs so the per-province totals still agree. The name is the legal one
            # (e.g. "Phường Việt Hòa", the former Hải Dương city ward), so it decides.
            print(f"note: commune {code} {name!r}: package wardType {row['wardType']!r} "
                  "contradicts the name; the name wins", file=sys.stderr)
        communes.append(
            {"code": code, "name": name, "kind": COMMUNE_KINDS[prefix],
             "province_code": row["provinceCode"]}
        )
    codes = [c["code"] for c in communes]
    check(len(codes) == COMMUNE_COUNT, f"package has {len(codes)} communes")
    check(len(set(codes)) == len(codes), "duplicate commune codes")
    check(all(c["province_code"] in ref34_by_code for c in communes), "commune of no province")
    # Per-province totals and kinds must agree with the reference list.
    per_province = Counter((c["province_code"], c["kind"]) for c in communes)
    for code, ref in ref34_by_code.items():
        got = {k: n for (p, k), n in per_province.items() if p == code}
        check(got == ref["ward_types"], f"province {code}: communes {got} vs {ref['ward_types']}")
        check(sum(got.values()) == ref["wards"], f"province {code}: commune total")

    # --- legacy provinces (63) ------------------------------------------------------------
    legacy_rows = package_rows(
        "SELECT DISTINCT provinceCode, province, provinceShort, provinceKey "
        "FROM admin_units_legacy"
    )
    legacy_by_code = {r["provinceCode"]: r for r in legacy_rows}
    check(len(legacy_by_code) == LEGACY_COUNT, f"package has {len(legacy_by_code)} legacy")
    merges = package_province_merges()
    old_key_to_new_code = {
        old: key_to_code[new] for new, olds in merges.items() for old in olds
    }
    legacy = []
    for ref in sorted(ref63, key=lambda r: r["code"]):
        code, target = ref["code"], ref["new_province_code_2025"]
        row = legacy_by_code.get(code)
        check(row is not None, f"legacy {code} missing from the package")
        check(row["province"] == ref["name"], f"legacy {code}: {row['province']} vs {ref['name']}")
        check(target in ref34_by_code, f"legacy {code} maps to unknown province {target}")
        check(
            old_key_to_new_code.get(row["provinceKey"]) == target,
            f"legacy {code}: package says {old_key_to_new_code.get(row['provinceKey'])}, "
            f"reference says {target}",
        )
        check(
            f"{ref['short']} ({code})" in ref34_by_code[target]["legacy"],
            f"legacy {code} not listed under {target}",
        )
        legacy.append(
            {
                "code": code,
                "name": ref["name"],
                "short_name": ref["short"],
                "new_province_code": target,
            }
        )
    check(
        {p["code"] for p in provinces} <= {lp["new_province_code"] for lp in legacy},
        "a 2025 province has no legacy predecessor",
    )

    # --- region schemes -------------------------------------------------------------------
    region_codes = {code for code, _, _ in REGIONS}
    schemes = []
    for spec in SCHEMES:
        members = ref63 if spec["province_set"] == "legacy" else ref34
        memberships = []
        for p in sorted(members, key=lambda r: r["code"]):
            region = p[spec["field"]]
            check(region in region_codes, f"{spec['code']}: {p['code']} in unknown {region}")
            memberships.append(
                {
                    "province_code": p["code"],
                    "region_code": region,
                    "valid_from": spec["valid_from"],
                }
            )
        scheme = {k: v for k, v in spec.items() if k not in ("field", "valid_from")}
        scheme["regions"] = [
            {"code": code, "name": name, "name_en": name_en, "position": i}
            for i, (code, name, name_en) in enumerate(REGIONS, start=1)
        ]
        scheme["memberships"] = memberships
        schemes.append(scheme)

    version = metadata.version("vietnamadminunits")
    meta_2025 = {
        "in_force_from": "2025-07-01",
        "source": f"vietnamadminunits {version} (PyPI, MIT); checked against reference lists",
    }
    return {
        "provinces_2025.json": {"meta": {**meta_2025, "count": len(provinces)}, "items": provinces},
        "communes_2025.json": {"meta": {**meta_2025, "count": len(communes)}, "items": communes},
        "legacy_provinces.json": {
            "meta": {
                "in_force_until": "2025-06-30",
                "source": "project reference list, cross-checked with "
                f"vietnamadminunits {version}",
                "count": len(legacy),
            },
            "items": legacy,
        },
        "region_schemes.json": {"meta": {"count": len(schemes)}, "items": schemes},
    }


def dump(document: dict[str, Any]) -> str:
    """JSON with one item per line: compact, yet diffs show exactly which unit changed."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = [f'{{"meta":{one(document["meta"])},', '"items":[']
    items = document["items"]
    lines += [one(item) + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    try:
        documents = build(args.reference)
    except CheckFailed as error:
        print(f"check failed: {error}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        text = dump(document)
        json.loads(text)  # the hand-written layout must still be valid JSON
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"{name}: {document['meta']['count']} items, {len(text.encode()):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

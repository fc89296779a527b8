#!/usr/bin/env python3
"""Generate the built-in catalogues of compact-events from the shared reference data.

Usage (from anywhere; python3 >= 3.11, PyYAML):

    python3 events/catalogues/generate.py [--reference DIR] [--seed DIR] [--check]

`--reference` defaults to `<workspace>/../shared/reference` and `--seed` to
`<workspace>/../shared/seed` (i.e. /work/shared/... beside the repository). `--check` regenerates in
memory and fails if a committed file differs, so CI can prove the JSON matches its sources.

The script never invents text: every title comes from a reference file, every recommendation is cut
verbatim out of the GRCP 7 Highlights document (only the list markers, a trailing "; and", ";",
":" or ".", and the case of the first letter are touched), and it asserts the invariants the Rust
tests also check. Reference text is normalised to Unicode NFC and runs of white space are
collapsed to one space (see `clean`).
Hand-curated facts (migration-relevant targets, crosswalk, review points, themes) live in the tables
below, each with the source it was taken from; see README.md beside this file.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE.parents[1]
DEFAULT_SHARED = WORKSPACE.parent / "shared"

SDG_COMMIT = "0cda5858"
LANGS = ("en", "fr", "es")

# DOMAIN.md, "SDG targets most relevant to migration": the main table and the "optional extras".
MIGRATION_RELEVANT = [
    "10.7", "10.c", "8.7", "8.8", "5.2", "16.2", "16.9", "17.16", "17.17", "17.18", "3.c", "4.b",
    "1.3",
    # optional extras
    "8.5", "10.2", "10.3", "16.3", "16.b", "17.3", "3.8", "4.4",
]

# DOMAIN.md, "GCM <-> SDG crosswalk seed". Only 20 -> 10.c is stated in the GCM itself.
CROSSWALK = [
    (1, "17.18", "project-derived", None),
    (4, "16.9", "project-derived", None),
    (5, "10.7", "project-derived", None),
    (6, "8.8", "project-derived", None),
    (6, "10.7", "project-derived", "via indicator 10.7.1 (recruitment cost borne by employee)"),
    (8, "10.7", "project-derived", "via indicator 10.7.3 (people who died or disappeared in migration)"),
    (10, "5.2", "project-derived", None),
    (10, "8.7", "project-derived", None),
    (10, "16.2", "project-derived", None),
    (15, "1.3", "project-derived", None),
    (15, "3.8", "project-derived", None),
    (18, "4.b", "project-derived", None),
    (18, "4.4", "project-derived", None),
    (20, "10.c", "official",
     "A/RES/73/195, objective 20, action (a): \"in line with target 10.c of the 2030 Agenda\""),
    (20, "17.3", "project-derived", "via indicator 17.3.2 (remittances as a share of GDP)"),
    (22, "1.3", "project-derived", None),
    (23, "17.16", "project-derived", None),
    (23, "17.17", "project-derived", None),
]

# One theme per GRCP 7 bullet, in document order. Keys are the slugs the parser derives.
GRCP7_THEMES = {
    "grcp7-6.1": "human-rights",
    "grcp7-6.2": "regular-pathways",
    "grcp7-6.3": "social-inclusion",
    "grcp7-6.4": "anti-discrimination",
    "grcp7-6.5": "data",
    "grcp7-7.1": "governance",
    "grcp7-7.2": "policy-dialogue",
    "grcp7-7.3": "whole-of-government",
    "grcp7-7.4": "partnerships",
    "grcp7-7.5": "sustainability",
    "grcp7-7.6": "implementation",
    "grcp7-7.6.a": "capacity-building",
    "grcp7-7.6.b": "data-exchange",
    "grcp7-8.1": "partnerships",
    "grcp7-8.2": "partnerships",
    "grcp7-8.3": "partnerships",
}
GRCP7_EXPECTED_COUNT = 16

# Follow-up review points. `dates`: "exact" (held; dates from a named source), "announced" (future;
# dates as announced, may still move), "approximate" (a documented window, not the meeting's dates).
# Regional entries carry the dates of the intergovernmental meeting, not of the stakeholder
# consultations held before it.
REVIEW_POINTS = [
    {
        "id": "regional-review-2020-unece",
        "name": "Regional review of the GCM, UNECE region (first round)",
        "starts_on": "2020-11-12",
        "ends_on": "2020-11-13",
        "dates": "exact",
        "sources": [
            "https://migrationnetwork.un.org/unece-region-hold-first-regional-review-global-compact-safe-orderly-and-regular-migration",
            "https://csactioncommittee.org/first-regional-review-for-gcm-unece-region",
        ],
        "note": "Virtual; an informal multi-stakeholder consultation was held on 9 November 2020.",
    },
    {
        "id": "regional-review-2021-escwa",
        "name": "Regional review of the GCM, Arab region (first round)",
        "starts_on": "2021-02-24",
        "ends_on": "2021-02-25",
        "dates": "exact",
        "sources": [
            "https://archive.unescwa.org/events/regional-review-conference-global-compact-safe-orderly-and-regular-migration-arab-region",
        ],
        "note": "Regional Review Conference, virtual; the ESCWA process ran from 25 June 2020.",
    },
    {
        "id": "regional-review-2021-escap",
        "name": "Regional review of the GCM, Asia and the Pacific (first round)",
        "starts_on": "2021-03-10",
        "ends_on": "2021-03-12",
        "dates": "exact",
        "sources": [
            "https://www.scoop.co.nz/stories/WO2103/S00063/asia-pacific-regional-review-of-implementation-of-the-global-compact-for-safe-orderly-and-regular-migration.htm",
            "ESCAP/GCM/2021/CRP.1 (Bangkok, 10-12 March 2021)",
        ],
        "note": None,
    },
    {
        "id": "regional-review-2021-eclac",
        "name": "Regional review of the GCM, Latin America and the Caribbean (first round)",
        "starts_on": "2021-04-26",
        "ends_on": "2021-04-28",
        "dates": "exact",
        "sources": [
            "https://www.cepal.org/en/notes/report-regional-implementation-review-global-compact-safe-orderly-and-regular-migration-latin",
            "https://pactomigracion.cepal.org/en/event-information",
        ],
        "note": "Virtual; stakeholder consultations on 12 and 13-15 April 2021.",
    },
    {
        "id": "regional-review-2021-eca",
        "name": "Regional review of the GCM, Africa (first round)",
        "starts_on": "2021-08-31",
        "ends_on": "2021-09-01",
        "dates": "exact",
        "sources": [
            "https://uneca.org/stories/media-advisory-africa-regional-review-of-the-implementation-of-the-global-compact-for",
        ],
        "note": "Intergovernmental conference, virtual, hosted by Morocco; side events on 26 August and a multi-stakeholder consultation on 27 August 2021.",
    },
    {
        "id": "regional-reviews-2020-2021",
        "name": "Regional reviews of the GCM, first round (2020-2021)",
        "starts_on": "2020-11-12",
        "ends_on": "2021-09-01",
        "dates": "exact",
        "sources": ["the five regional entries of this catalogue"],
        "note": "From the first to the last of the five UN-regional-commission reviews; subregional consultations (e.g. ECOWAS, October 2021) fall outside this span.",
    },
    {
        "id": "imrf-2022",
        "name": "First International Migration Review Forum",
        "starts_on": "2022-05-17",
        "ends_on": "2022-05-20",
        "dates": "exact",
        "sources": ["https://indico.un.org/event/1000748/", "DOMAIN.md"],
        "note": "UN Headquarters, New York; informal multi-stakeholder hearing on 16 May 2022.",
    },
    {
        "id": "regional-review-2024-unece",
        "name": "Regional review of the GCM, UNECE region (second round)",
        "starts_on": "2024-03-11",
        "ends_on": "2024-03-11",
        "dates": "exact",
        "sources": [
            "https://migrationnetwork.un.org/regional-information-brief",
            "https://drupal-main-staging.unece.org/media/press/389175",
        ],
        "note": "Palais des Nations, Geneva.",
    },
    {
        "id": "regional-review-2024-escwa",
        "name": "Regional review of the GCM, Arab region (second round)",
        "starts_on": "2024-07-03",
        "ends_on": "2024-07-04",
        "dates": "exact",
        "sources": [
            "https://miragenews.com/arab-region-hosts-2nd-global-migration-compact-1269423",
            "http://lasportal.org:80/en/secretarygeneral/Pages/SGNewsDetails.aspx?RID=2810",
        ],
        "note": "Two-day conference at the League of Arab States, Cairo.",
    },
    {
        "id": "regional-review-2024-eca",
        "name": "Regional review of the GCM, Africa (second round)",
        "starts_on": "2024-10-09",
        "ends_on": "2024-10-10",
        "dates": "exact",
        "sources": ["https://migrationnetwork.un.org/es/node/18426"],
        "note": "Intergovernmental conference, Addis Ababa; multi-stakeholder hearing on 8 October 2024.",
    },
    {
        "id": "regional-review-2025-eclac",
        "name": "Regional review of the GCM, Latin America and the Caribbean (second round)",
        "starts_on": "2025-03-19",
        "ends_on": "2025-03-20",
        "dates": "exact",
        "sources": ["https://pactomigracion.cepal.org/2/en/background"],
        "note": "Intergovernmental conference at ECLAC, Santiago; multi-stakeholder hearing on 18 March 2025.",
    },
    {
        "id": "regional-review-2025-escap",
        "name": "Regional review of the GCM, Asia and the Pacific (second round)",
        "starts_on": "2025-01-01",
        "ends_on": "2025-06-30",
        "dates": "approximate",
        "sources": ["https://migrationnetwork.un.org/es/node/18426"],
        "note": "Placeholder window: the Network announced this review for \"early 2025\" and a report says it ran three days in Bangkok, but no stored source gave the exact dates. Replace with the meeting's dates when confirmed.",
    },
    {
        "id": "regional-reviews-2024-2025",
        "name": "Regional reviews of the GCM, second round (2024-2025)",
        "starts_on": "2024-03-11",
        "ends_on": "2025-06-30",
        "dates": "approximate",
        "sources": ["the five regional entries of this catalogue"],
        "note": "Starts with the UNECE review; ends with the placeholder end of the Asia-Pacific window, so the end is approximate.",
    },
    {
        "id": "imrf-2026",
        "name": "Second International Migration Review Forum",
        "starts_on": "2026-05-05",
        "ends_on": "2026-05-08",
        "dates": "announced",
        "sources": [
            "https://globalcitieshub.org/en/the-global-cities-hub-calls-for-lrg-inclusion-at-2026-imrf-briefing",
            "DOMAIN.md (\"the next in 2026\")",
        ],
        "note": "Dates as announced at IOM's 3 February 2026 briefing and reported by the Global Cities Hub (a secondary, non-UN source); multi-stakeholder hearing on 4 May 2026. Check against the UN page before relying on them.",
    },
]


def fail(message: str) -> None:
    print(f"generate.py: {message}", file=sys.stderr)
    sys.exit(1)


def expect(condition: bool, message: str) -> None:
    if not condition:
        fail(message)


def localized(en: str, fr: str | None, es: str | None) -> dict:
    """A `Localized` value; an absent translation is omitted, never filled in."""
    value = {"en": en}
    if fr:
        value["fr"] = fr
    if es:
        value["es"] = es
    return value


NORMALISED: list[str] = []


def clean(text: str) -> str:
    """Normalises reference text without changing what it says.

    The upstream French and Spanish SDG files are mostly in Unicode NFD (e.g. "e" + U+0301 for
    "é"); they are converted to NFC so that search, sorting and comparison with typed text work.
    Runs of white space (a few upstream typos) are collapsed to one space. Nothing else changes.
    """
    composed = unicodedata.normalize("NFC", text)
    collapsed = " ".join(composed.split())
    if collapsed != composed.strip():
        NORMALISED.append(collapsed[:60])
    return collapsed


# --- GCM objectives -------------------------------------------------------------------------

def gcm_objectives(reference: Path) -> dict:
    path = reference / "gcm" / "objectives.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expect(len(rows) == 23, f"{path}: expected 23 objectives, found {len(rows)}")
    objectives = []
    for expected_number, row in enumerate(rows, start=1):
        number = int(row["number"])
        expect(number == expected_number, f"{path}: objective {number} out of order")
        for column in ("short_en", "title_en", "short_fr", "title_fr", "short_es"):
            expect(bool(row[column].strip()), f"{path}: objective {number} has no {column}")
        objectives.append({
            "number": number,
            "short_title": localized(clean(row["short_en"]), clean(row["short_fr"]), clean(row["short_es"])),
            "title": localized(
                clean(row["title_en"]),
                clean(row["title_fr"]),
                clean(row["title_es"]) if row["title_es"].strip() else None,
            ),
        })
    missing_es = [o["number"] for o in objectives if "es" not in o["title"]]
    expect(missing_es == [15, 16, 17], f"Spanish titles missing for {missing_es}, expected 15-17")
    return {
        "catalogue": "gcm-objectives",
        "title": "Objectives of the Global Compact for Safe, Orderly and Regular Migration",
        "version": "1",
        "source": (
            "Titles: A/RES/73/195 (adopted 19 December 2018), para 16 and objective headings; "
            "short titles: UN Network on Migration, Migration Network Hub filter labels; French and "
            "Spanish as reproduced by the Hub, UN Women and IOM (per-cell sources in "
            "shared/reference/gcm/SOURCES.md)"
        ),
        "licence": "UN document text (A/RES/73/195) and UN Network on Migration labels, reproduced verbatim with attribution",
        "effective_from": "2018-12-19",
        "items": objectives,
    }


# --- SDG targets ----------------------------------------------------------------------------

TARGET_KEY = re.compile(r"^(\d+)-([0-9]+|[a-z])-title$")
GOAL_KEY = re.compile(r"^(\d+)-(short|title)$")


def load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    expect(isinstance(data, dict), f"{path}: not a mapping")
    return data


def target_sort_key(code: str) -> tuple:
    goal, target = code.split(".")
    # Numbered targets come before lettered means-of-implementation targets, as in A/RES/71/313.
    return (int(goal), 0, int(target), "") if target.isdigit() else (int(goal), 1, 0, target)


def sdg_targets(reference: Path, domain_md: Path | None) -> dict:
    texts: dict[str, dict[str, str]] = {}
    goals: dict[int, dict[str, dict[str, str]]] = {}
    for lang in LANGS:
        targets = load_yaml(reference / "sdg" / lang / "global_targets.yml")
        for key, value in targets.items():
            match = TARGET_KEY.match(key)
            expect(match is not None, f"{lang}: unexpected key {key!r}")
            expect(isinstance(value, str) and value.strip() != "", f"{lang}: {key} is empty")
            code = f"{int(match.group(1))}.{match.group(2)}"
            texts.setdefault(code, {})[lang] = clean(value)
        for key, value in load_yaml(reference / "sdg" / lang / "global_goals.yml").items():
            match = GOAL_KEY.match(key)
            expect(match is not None, f"{lang}: unexpected goal key {key!r}")
            goals.setdefault(int(match.group(1)), {}).setdefault(match.group(2), {})[lang] = clean(value)

    expect(len(texts) == 169, f"expected 169 SDG targets, found {len(texts)}")
    for code, by_lang in texts.items():
        expect(set(by_lang) == set(LANGS), f"target {code} lacks {set(LANGS) - set(by_lang)}")
    expect(sorted(goals) == list(range(1, 18)), "expected goals 1-17")
    for number, parts in goals.items():
        for part in ("short", "title"):
            expect(set(parts.get(part, {})) == set(LANGS), f"goal {number} {part} incomplete")

    unknown = set(MIGRATION_RELEVANT) - set(texts)
    expect(not unknown, f"migration-relevant targets not in the catalogue: {unknown}")
    expect(len(set(MIGRATION_RELEVANT)) == 21, "expected 21 migration-relevant targets")

    if domain_md is not None and domain_md.exists():
        # DOMAIN.md's main table quotes the official English text; it must match byte for byte.
        row = re.compile(r"^\| \*\*(\d+\.[0-9a-z]+)\*\* \| (.+?) \|")
        checked = 0
        for line in domain_md.read_text(encoding="utf-8").splitlines():
            match = row.match(line)
            if match:
                code, text = match.groups()
                expect(texts[code]["en"] == text, f"target {code} differs from DOMAIN.md")
                checked += 1
        expect(checked == 13, f"expected 13 target rows in DOMAIN.md, checked {checked}")

    items = [
        {
            "code": code,
            "title": localized(texts[code]["en"], texts[code]["fr"], texts[code]["es"]),
            "migration_relevant": code in MIGRATION_RELEVANT,
        }
        for code in sorted(texts, key=target_sort_key)
    ]
    goal_items = [
        {
            "number": number,
            "short_title": localized(*(goals[number]["short"][lang] for lang in LANGS)),
            "title": localized(*(goals[number]["title"][lang] for lang in LANGS)),
        }
        for number in range(1, 18)
    ]
    return {
        "catalogue": "sdg-targets",
        "title": "Sustainable Development Goals and their 169 targets",
        "version": f"open-sdg/sdg-translations@{SDG_COMMIT}",
        "source": (
            f"open-sdg/sdg-translations, commit {SDG_COMMIT} (August 2025), "
            "translations/{en,fr,es}/global_targets.yml and global_goals.yml, which reproduce "
            "the targets of A/RES/70/1 and A/RES/71/313"
        ),
        "licence": "MIT (Copyright (c) 2019 Open SDG); target texts are UN General Assembly resolutions",
        "effective_from": "2015-09-25",
        "goals": goal_items,
        "items": items,
    }


# --- GRCP 7 recommendations -----------------------------------------------------------------

PARAGRAPH = re.compile(r"^(\d+)\.\s")
BULLET = re.compile(r"^- (.*)$")
SUB_BULLET = re.compile(r"^  - (.*)$")
ROMAN = re.compile(r"^\((?:i|ii|iii|iv|v)\)\s+")


def strip_separators(text: str) -> str:
    """Drops the list glue (a final "; and", ";", ":" or ".") so every bullet reads alike."""
    text = text.strip()
    for suffix in ("; and", ";", ":", "."):
        if text.endswith(suffix):
            return text[: -len(suffix)].rstrip()
    return text


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def grcp7_recommendations(seed: Path) -> dict:
    path = seed / "grcp7-highlights.md"
    document = path.read_text(encoding="utf-8")
    paragraph = None
    bullets: dict[int, list[tuple[str, list[str]]]] = {}
    for line in document.splitlines():
        match = PARAGRAPH.match(line)
        if match:
            paragraph = int(match.group(1))
            continue
        if paragraph not in (6, 7, 8):
            continue
        if match := BULLET.match(line):
            bullets.setdefault(paragraph, []).append((match.group(1), []))
        elif match := SUB_BULLET.match(line):
            expect(paragraph in bullets, f"sub-bullet before any bullet in para {paragraph}")
            bullets[paragraph][-1][1].append(match.group(1))

    expect([len(bullets.get(p, [])) for p in (6, 7, 8)] == [5, 6, 3],
           f"bullet counts per paragraph changed: {[len(bullets.get(p, [])) for p in (6, 7, 8)]}")

    items = []

    def add(slug: str, para: int, text: str) -> None:
        # Verbatim check before the only editorial change (the first letter's case).
        expect(" ".join(text.split()) == text, f"{slug}: whitespace")
        items.append({
            "id": slug,
            "text": capitalise(text),
            "theme": GRCP7_THEMES[slug],
            "source": f"GRCP 7 Highlights Document, Geneva, 11 October 2017, para {para}",
        })

    for para in (6, 7, 8):
        for index, (bullet, subs) in enumerate(bullets[para], start=1):
            text = strip_separators(ROMAN.sub("", bullet))
            expect(text in document, f"para {para} bullet {index} is not verbatim")
            if not subs:
                add(f"grcp7-{para}.{index}", para, text)
                continue
            # A bullet with sub-bullets ("... by, amongst others:") becomes the lead-in commitment
            # plus one recommendation per sub-bullet, each reading lead-in + sub-bullet.
            lead_in = text.removesuffix(" by, amongst others").rstrip()
            expect(lead_in != text, f"para {para} bullet {index}: unexpected lead-in {text!r}")
            add(f"grcp7-{para}.{index}", para, lead_in)
            for letter, sub in zip("abcdefgh", subs):
                sub_text = strip_separators(sub)
                expect(sub_text in document, f"para {para}.{index}.{letter} is not verbatim")
                add(f"grcp7-{para}.{index}.{letter}", para, f"{text}, {sub_text}")

    expect(len(items) == GRCP7_EXPECTED_COUNT, f"expected {GRCP7_EXPECTED_COUNT} recommendations, found {len(items)}")
    expect([i["id"] for i in items] == list(GRCP7_THEMES), "slugs differ from the theme table")
    return {
        "catalogue": "grcp7-recommendations",
        "title": "Recommendations of the GRCP 7 Highlights Document",
        "version": "1",
        "source": (
            "\"GRCP 7 Highlights Document\", Seventh Global Meeting of Chairs and Secretariats of "
            "Regional, Inter-regional and Global Consultative Processes on Migration (GRCP 7), "
            "hosted by IOM, Geneva, 11 October 2017, paras 6-8"
        ),
        "licence": "IOM meeting document, quoted verbatim with attribution",
        "effective_from": "2017-10-11",
        "items": items,
    }


# --- Review points and crosswalk ------------------------------------------------------------

def review_points() -> dict:
    items = sorted(REVIEW_POINTS, key=lambda p: (p["starts_on"], p["ends_on"], p["id"]))
    ids = [p["id"] for p in items]
    expect(len(set(ids)) == len(ids), "duplicate review point id")
    for point in items:
        expect(point["starts_on"] <= point["ends_on"], f"{point['id']}: ends before it starts")
        expect(point["dates"] in ("exact", "announced", "approximate"), f"{point['id']}: dates")
        if point["note"] is None:
            del point["note"]
    return {
        "catalogue": "review-points",
        "title": "Follow-up review points of the Global Compact for Migration",
        "version": "1",
        "source": (
            "A/RES/73/195 paras 49-50 and A/RES/73/326 (review cycle); dates of each meeting "
            "from the UN, regional-commission and other pages named in each entry's `sources`"
        ),
        "licence": "Facts compiled by the compact-tracker project (Apache-2.0); sources named per entry",
        "items": items,
    }


def crosswalk() -> dict:
    items = []
    for objective, target, source, note in CROSSWALK:
        item = {"objective": objective, "sdg_target": target, "source": source}
        if note:
            item["note"] = note
        items.append(item)
    pairs = [(i["objective"], i["sdg_target"]) for i in items]
    expect(len(set(pairs)) == len(pairs), "duplicate crosswalk pair")
    return {
        "catalogue": "gcm-sdg-crosswalk",
        "title": "GCM objective to SDG target crosswalk (seed)",
        "version": "1",
        "source": (
            "project-derived from the wording of the targets and indicators (DOMAIN.md, \"GCM <-> "
            "SDG crosswalk seed\"); only objective 20 -> target 10.c is stated in A/RES/73/195. "
            "Not an official UN mapping"
        ),
        "licence": "compact-tracker project (Apache-2.0)",
        "items": items,
    }


# --- main -----------------------------------------------------------------------------------

def render(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_SHARED / "reference")
    parser.add_argument("--seed", type=Path, default=DEFAULT_SHARED / "seed")
    parser.add_argument("--domain", type=Path, default=DEFAULT_SHARED / "DOMAIN.md")
    parser.add_argument("--check", action="store_true", help="fail if committed files differ")
    args = parser.parse_args()

    files = {
        "gcm-objectives.json": gcm_objectives(args.reference),
        "sdg-targets.json": sdg_targets(args.reference, args.domain),
        "grcp7-recommendations.json": grcp7_recommendations(args.seed),
        "review-points.json": review_points(),
        "gcm-sdg-crosswalk.json": crosswalk(),
    }
    objective_numbers = {o["number"] for o in files["gcm-objectives.json"]["items"]}
    target_codes = {t["code"] for t in files["sdg-targets.json"]["items"]}
    for entry in files["gcm-sdg-crosswalk.json"]["items"]:
        expect(entry["objective"] in objective_numbers, f"crosswalk: objective {entry['objective']}")
        expect(entry["sdg_target"] in target_codes, f"crosswalk: target {entry['sdg_target']}")

    stale = []
    for name, data in files.items():
        path = HERE / name
        text = render(data)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    for text in NORMALISED:
        print(f"generate.py: collapsed white space in {text!r}...", file=sys.stderr)
    if stale:
        fail(f"out of date, rerun generate.py: {', '.join(stale)}")


if __name__ == "__main__":
    main()

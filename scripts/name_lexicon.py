#!/usr/bin/env python3
"""Builds the person-name lexicon embedded in the classifier (src/classify/names/lexicon/).

Sources (both MIT-licensed; licence texts in src/classify/names/lexicon/LICENSES.md):
  - Faker 33.1.0 (PyPI `faker`), faker/providers/person/<locale>/__init__.py
  - mimesis 18.0.0 (PyPI `mimesis`), mimesis/datasets/<locale>/person.json

Usage (deterministic; needs only pip and the package registry):
    python3 scripts/name_lexicon.py            # downloads both wheels into a temp dir
    python3 scripts/name_lexicon.py --check    # fails if the committed files differ

The evaluation corpus (tests/fixtures/classify/) never reads these files and its names are
written by hand, so the lexicon is not fitted to the data it is scored on.
"""
import importlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

FAKER = "faker==33.1.0"
MIMESIS = "mimesis==18.0.0"
LATIN_LOCALES = ["en_US", "en_GB", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH", "es_ES", "es_MX"]
MIMESIS_LOCALES = ["en", "en-gb", "de", "de-at", "de-ch", "fr", "es", "es-mx"]
OUT = os.path.join(os.path.dirname(__file__), "..", "src", "classify", "names", "lexicon")


def fetch(tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, FAKER, MIMESIS],
        check=True,
    )
    for f in os.listdir(tmp):
        if f.endswith(".whl"):
            zipfile.ZipFile(os.path.join(tmp, f)).extractall(os.path.join(tmp, "x"))
    return os.path.join(tmp, "x")


def values(seq):
    return list(seq.keys()) if isinstance(seq, dict) else list(seq)


def latin_ok(w):
    return len(w) >= 2 and w[0].isupper() and all(c.isalpha() or c in "'-" for c in w)


def split_names(names):
    out = set()
    for n in names:
        for part in n.replace(".", " ").split():
            if latin_ok(part):
                out.add(part)
    return out


def build(root):
    sys.path.insert(0, root)
    given, family, ja_given, ja_family = set(), set(), set(), set()
    for loc in LATIN_LOCALES:
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in ("first_names", "first_names_female", "first_names_male"):
            given |= split_names(values(getattr(p, attr, ())))
        family |= split_names(values(getattr(p, "last_names", ())))
    ja = importlib.import_module("faker.providers.person.ja_JP").Provider
    ja_given |= set(values(ja.first_names)) | set(values(ja.first_kana_names))
    ja_family |= set(values(ja.last_names)) | set(values(ja.last_kana_names))
    given |= split_names(values(ja.first_romanized_names))
    family |= split_names(values(ja.last_romanized_names))
    for loc in MIMESIS_LOCALES + ["ja"]:
        path = os.path.join(root, "mimesis", "datasets", loc, "person.json")
        if not os.path.exists(path):
            continue
        d = json.load(open(path, encoding="utf-8"))
        names = [n for g in d.get("names", {}).values() for n in g]
        if loc == "ja":
            ja_given |= {n for n in names if n and not n.isascii()}
            ja_family |= {n for n in d.get("surnames", []) if n and not n.isascii()}
        else:
            given |= split_names(names)
            sur = d.get("surnames", [])
            family |= split_names(values(sur) if not isinstance(sur, dict) else [n for g in sur.values() for n in g])
    return {
        "given.txt": sorted(given),
        "family.txt": sorted(family),
        "ja_given.txt": sorted(ja_given),
        "ja_family.txt": sorted(ja_family),
    }


def main():
    check = "--check" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        lists = build(fetch(tmp))
    os.makedirs(OUT, exist_ok=True)
    bad = []
    for name, words in lists.items():
        text = "".join(w + "\n" for w in words)
        path = os.path.join(OUT, name)
        if check:
            if open(path, encoding="utf-8").read() != text:
                bad.append(name)
        else:
            open(path, "w", encoding="utf-8").write(text)
        print(f"{name}: {len(words)}")
    if bad:
        sys.exit(f"lexicon out of date: {bad}")


if __name__ == "__main__":
    main()

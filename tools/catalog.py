"""Bring the Spanish catalog up to date: `python tools/catalog.py [--check]`.

Runs the three pybabel steps of docs/translations.md (extract, update, compile) under a
file lock, so several people (or helpers) working in one tree do not overwrite each
other's catalog. Before compiling it fills empty Spanish entries from any fragment
catalogs in build/i18n/*.po (msgid → msgstr), which is how parallel work hands over its
translations without editing messages.po at the same time. Prints what is still
untranslated; `--check` exits 1 if anything is.
"""

import argparse
import fcntl
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "skills" / "translations"
SPANISH = CATALOGS / "es" / "LC_MESSAGES" / "messages.po"
FRAGMENTS = ROOT / "build" / "i18n"


def pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", *args]
    subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 (our own fixed command)


def fragment_strings() -> dict:
    strings: dict = {}
    for path in sorted(FRAGMENTS.glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f):
                if (
                    message.id
                    and message.string
                    and all(
                        message.string if isinstance(message.string, tuple) else [message.string]
                    )
                ):
                    strings[message.id] = message.string
    return strings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if anything is untranslated")
    args = parser.parse_args()
    (ROOT / "build").mkdir(exist_ok=True)
    with (ROOT / "build" / "catalog.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pybabel(
            "extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
            "--project", "skills-tracker", "-o", str(CATALOGS / "messages.pot"), ".",
        )  # fmt: skip
        pybabel(
            "update", "--no-fuzzy-matching", "--ignore-obsolete",
            "-i", str(CATALOGS / "messages.pot"), "-d", str(CATALOGS),
        )  # fmt: skip
        with SPANISH.open("rb") as f:
            catalog = read_po(f)
        filled = fragment_strings()
        missing = []
        for message in catalog:
            if not message.id:
                continue
            empty = not all(
                message.string if isinstance(message.string, tuple) else [message.string]
            )
            if empty and message.id in filled:
                message.string = filled[message.id]
            elif empty:
                missing.append(message.id)
        with SPANISH.open("wb") as f:
            write_po(f, catalog, width=88, omit_header=False)
        pybabel("compile", "-d", str(CATALOGS))
    for msgid in missing:
        print("untranslated:", msgid if isinstance(msgid, str) else msgid[0])
    print(f"{len(catalog) - len(missing)} translated, {len(missing)} untranslated")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())

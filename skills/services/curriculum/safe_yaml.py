"""Reading a curriculum file's YAML without trusting it.

PyYAML's loaders expand aliases (a few kilobytes can stand for gigabytes), build
whatever a tag names, and recurse once per level of nesting. `compose` walks the
parser's events instead and checks each one before building anything: anchors,
aliases and tags are refused, and nesting, the number of values and the length of
each value are capped. The work is therefore bounded by the limits below, whatever
the file holds. The first problem stops the reading, with the file and line, and
YAML syntax errors are explained in plain words (in the language in use: Flask-Babel).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from flask_babel import gettext as _

from .spec import CurriculumError, CurriculumInvalid

# The real format nests seven levels (file, domains, a domain, skills, a skill, steps,
# a step); curriculum/daily-living.yaml holds about 1,750 values. These leave ample room
# for growth and keep the worst file the upload limit allows to a fraction of a second.
MAX_DEPTH = 20
MAX_VALUES = 20_000
MAX_VALUE_LENGTH = 5_000  # characters; the longest field (description) allows 2,000
MAX_DIGITS = 18  # any number this long fits a 64-bit integer; none in the format is near it

# libyaml's parser (bundled with PyYAML's wheels) is about 20 times faster than the
# pure-Python one and gives the same events; the fallback is for builds without it.
FAST_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)

_TAG = "tag:yaml.org,2002:"


def _anchor_message() -> str:
    return _(
        "anchors and aliases (&name, *name) are not allowed in curriculum files; write the "
        "text out in full (and put text that starts with & or * in quotes)."
    )


class Scalar(yaml.ScalarNode):
    """A scalar node with its value already converted and checked."""

    def __init__(self, event: yaml.ScalarEvent, tag: str, data: Any) -> None:
        # Any: libyaml's marks have the line and column PyYAML's have, which is all that
        # is read, but the stubs allow only PyYAML's own on a node.
        start: Any = event.start_mark
        end: Any = event.end_mark
        super().__init__(tag, event.value, start, end, style=event.style)
        self.data = data


class _Open:
    """A sequence or mapping whose end has not been read yet."""

    __slots__ = ("key", "node")

    def __init__(self, node: yaml.SequenceNode | yaml.MappingNode) -> None:
        self.node = node
        self.key: yaml.Node | None = None  # a mapping's key, waiting for its value


def compose(
    text: str,
    filename: str,
    loader_class: type[yaml.SafeLoader | yaml.CSafeLoader] = FAST_LOADER,
) -> yaml.Node | None:
    """The file's node tree (None when it holds nothing), or CurriculumInvalid."""
    try:
        loader = loader_class(text)  # the pure-Python reader checks every character here
        try:
            return _Composer(loader, filename).run()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        line, message = explain_syntax_error(exc, text)
    except yaml.reader.ReaderError as exc:
        line, message = _explain_reader_error(exc, text)
    except yaml.YAMLError as exc:  # no other kind is raised today; keep it a file:line message
        line, message = 1, _("this is not valid YAML: %(error)s", error=_short(str(exc), 200))
    raise CurriculumInvalid([CurriculumError(filename, line, message)])


class _Composer:
    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, filename: str) -> None:
        self.loader = loader
        self.filename = filename

    def refuse(self, event: yaml.Event, message: str) -> CurriculumInvalid:
        mark = event.start_mark
        line = mark.line + 1 if mark is not None else 1
        return CurriculumInvalid([CurriculumError(self.filename, line, message)])

    def run(self) -> yaml.Node | None:
        loader = self.loader
        root: yaml.Node | None = None
        stack: list[_Open] = []
        documents = 0
        values = 0
        while loader.check_event():
            event = loader.get_event()
            node: yaml.Node
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.refuse(
                        event,
                        _(
                            "a second YAML document starts here (a '---' line); a curriculum "
                            "file holds one document, so remove this line or split the file."
                        ),
                    )
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                node = stack.pop().node
                node.end_mark = event.end_mark
            elif isinstance(event, yaml.AliasEvent):
                raise self.refuse(event, _anchor_message())
            elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
                if event.anchor is not None:
                    raise self.refuse(event, _anchor_message())
                if event.tag is not None:
                    raise self.refuse(event, _tag_message(event.tag))
                values += 1
                if values > MAX_VALUES:
                    raise self.refuse(
                        event,
                        _(
                            "the file holds more than %(count)s values, far more than a "
                            "curriculum needs; split it into smaller files.",
                            count=format(MAX_VALUES, ","),
                        ),
                    )
                if isinstance(event, yaml.ScalarEvent):
                    node = self.scalar(event)
                else:
                    if len(stack) >= MAX_DEPTH:
                        raise self.refuse(
                            event,
                            _(
                                "lists and fields are nested more than %(depth)s levels deep "
                                "here; a curriculum needs only a few levels (domains, skills, "
                                "steps), so check the indentation and brackets.",
                                depth=MAX_DEPTH,
                            ),
                        )
                    stack.append(_Open(self.collection(event)))
                    continue
            else:  # the start and end of the stream, the end of the document
                continue
            if not stack:
                root = node
            elif isinstance(stack[-1].node, yaml.SequenceNode):
                stack[-1].node.value.append(node)
            elif stack[-1].key is None:
                stack[-1].key = node
            else:
                stack[-1].node.value.append((stack[-1].key, node))
                stack[-1].key = None
        return root

    @staticmethod
    def collection(event: yaml.CollectionStartEvent) -> yaml.SequenceNode | yaml.MappingNode:
        start: Any = event.start_mark  # Any: see Scalar
        flow = event.flow_style
        if isinstance(event, yaml.SequenceStartEvent):
            return yaml.SequenceNode(_TAG + "seq", [], start, None, flow_style=flow)
        return yaml.MappingNode(_TAG + "map", [], start, None, flow_style=flow)

    def scalar(self, event: yaml.ScalarEvent) -> Scalar:
        text = event.value
        if len(text) > MAX_VALUE_LENGTH:
            raise self.refuse(
                event,
                _(
                    "this value is %(length)s characters long; a single value may be at "
                    "most %(limit)s characters.",
                    length=format(len(text), ","),
                    limit=format(MAX_VALUE_LENGTH, ","),
                ),
            )
        tag = self.loader.resolve(yaml.ScalarNode, text, event.implicit)
        node = Scalar(event, tag, text)
        if tag == _TAG + "int":
            digits = len(text.lstrip("+-").replace("_", ""))
            if digits > MAX_DIGITS:
                raise self.refuse(
                    event,
                    _(
                        "the number %(number)s has %(digits)s digits; numbers in curriculum "
                        "files have at most %(limit)s (put it in quotes if it is meant as text).",
                        number=_short(text, 24),
                        digits=format(digits, ","),
                        limit=MAX_DIGITS,
                    ),
                )
            node.data = self.loader.construct_yaml_int(node)
        elif tag == _TAG + "float":
            node.data = self.loader.construct_yaml_float(node)
        elif tag == _TAG + "bool":
            node.data = self.loader.construct_yaml_bool(node)
        elif tag == _TAG + "null":
            node.data = None
        elif tag == _TAG + "timestamp":
            try:
                node.data = self.loader.construct_yaml_timestamp(node)
            except (ValueError, OverflowError):
                raise self.refuse(
                    event,
                    _(
                        "%(value)s looks like a date or time but is not a real one; correct "
                        "it, or put it in quotes if it is meant as text.",
                        value=repr(_short(text, 40)),
                    ),
                ) from None
        # Anything else (text, and the rarely meant "=" and "<<") stays text.
        return node


def _tag_message(tag: str) -> str:
    shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
    return _(
        "tags such as %(tag)s are not allowed in curriculum files; remove the tag (and put "
        "text that starts with ! in quotes).",
        tag=_short(shown, 40),
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- YAML syntax errors in plain words ------------------------------------------------


def _indentation() -> str:
    return _(
        "this line does not line up with the lines above it; fields of the same item, and "
        "the items of a list, must start in the same column."
    )


def explain_syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """The line and a plain explanation of a parser error, for a program admin.

    The wording covers the slips people make by hand and the messages of both parsers
    (libyaml and pure Python); anything else keeps the parser's own words as a hint.
    """
    problem = exc.problem or ""
    context = exc.context or ""
    at = exc.problem_mark or exc.context_mark
    start = exc.context_mark or at
    if at is None or start is None:  # PyYAML always gives a mark; just in case
        return 1, _("this is not valid YAML: %(error)s", error=_short(problem or str(exc), 200))
    line = _line(text, at.line)
    before = line[: at.column]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    char = line[at.column : at.column + 1]

    def here(message: str) -> tuple[int, str]:
        return at.line + 1, message

    def where_it_starts(message: str) -> tuple[int, str]:
        return start.line + 1, message

    if "\t" in indent or _mentions("tab", problem) or char == "\t":
        return here(_("a tab is used to indent this line; indent with spaces only."))
    if "could not find expected ':'" in problem:
        key_line = _line(text, start.line)[start.column :]
        if len(key_line) > 1024 and ":" in key_line[1024:]:
            return where_it_starts(
                _(
                    "this field name is longer than YAML allows (1,024 characters); field "
                    "names in curriculum files are short words."
                )
            )
        return where_it_starts(
            _(
                "this line has no colon after the field name; write it as 'name: value' (or "
                "start it with '- ' if it is an item of a list)."
            )
        )
    if "quoted scalar" in context and "end of stream" in problem:
        return where_it_starts(
            _("a quote mark opened on this line is never closed; add the closing quote.")
        )
    if "escape" in problem:
        return here(
            _(
                "a backslash (\\) inside double quotes starts a code YAML does not know; use "
                "single quotes around this text instead, or write \\\\ for a backslash."
            )
        )
    if "flow sequence" in context or "flow mapping" in context:
        opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
        return where_it_starts(
            _(
                "a '%(opening)s' opened on this line is not closed with '%(closing)s' (or its "
                "items are not separated by commas); put text that contains these marks in "
                "quotes.",
                opening=opening,
                closing=closing,
            )
        )
    if "anchor" in context or "alias" in context:
        return here(_anchor_message())
    if _mentions("tag", context) or _mentions("tag", problem):
        return here(_tag_message("!foo or !!int"))
    if "cannot start any token" in problem:
        return here(
            _(
                "a value cannot start with %(char)s; put the whole value in quotes.",
                char=repr(char),
            )
        )
    if "mapping values are not allowed" in problem:
        if ": " in before or before.rstrip().endswith(":"):
            return here(
                _("this value contains a colon followed by a space; put the whole value in quotes.")
            )
        return here(
            _(
                "this line is indented further than the line above it, but that line already "
                "has a value; line this field up with the fields above it."
            )
        )
    if "block scalar" in context:
        return here(
            _(
                "a block of text started with '|' or '>' is not written correctly; indent "
                "every line of the text further than its field name."
            )
        )
    if "expected <block end>" in problem or "did not find expected" in problem:
        if before.rstrip().endswith(('"', "'")):
            return here(
                _("there is text after the closing quote; put the whole value inside the quotes.")
            )
        return here(_indentation())
    return here(
        _(
            "this line is not valid YAML (the format curriculum files are written in); the "
            "YAML reader says: %(error)s",
            error=_short(problem or context or str(exc), 200),
        )
    )


def _explain_reader_error(exc: yaml.reader.ReaderError, text: str) -> tuple[int, str]:
    # The parsers count the position differently (characters or UTF-8 bytes), so find the
    # character itself: the first one the reader refuses is the first time it occurs.
    character = exc.character if isinstance(exc.character, int) else None
    if character is None:
        return 1, _(
            "the file cannot be read as YAML: %(error)s", error=_short(str(exc.reason), 200)
        )
    index = text.find(chr(character))
    line = text.count("\n", 0, index) + 1 if index >= 0 else 1
    return line, _(
        "this line holds a control character (code %(code)s) that a curriculum file cannot "
        "contain; delete it (it is often invisible: retype the line if unsure).",
        code=character,
    )


def _mentions(word: str, text: str) -> bool:
    return re.search(rf"\b{word}\b", text) is not None


_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def _line(text: str, index: int) -> str:
    """Line `index` (0-based) as YAML counts lines; only read when reporting an error."""
    lines = _LINE_BREAK.split(text, maxsplit=index + 1)
    return lines[index] if index < len(lines) else ""

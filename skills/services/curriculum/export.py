"""Writing a loaded curriculum back out as a curriculum file.

The file is what `parse` reads, translations included: loading it again changes nothing
(tests/test_admin_flows.py and tests/test_curriculum_translations.py check the round
trip). Retired domains and skills are left out, as they were left out of the file that
retired them; their history stays in the database.
"""

from typing import Any

import yaml

from ...models import Curriculum


class _Dumper(yaml.SafeDumper):
    """Never writes anchors or aliases, which curriculum files refuse (`safe_yaml`), and
    indents list items under their field as the hand-written files do."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    # PyYAML passes `indentless` by keyword, so the name stays although it is overridden.
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _translated(fields: dict[str, Any], row: Any) -> dict[str, Any]:
    """`fields` with the row's translations after its English, as files write them."""
    if row.translations:
        fields["translations"] = {
            language: dict(texts) for language, texts in sorted(row.translations.items())
        }
    return fields


def _skill(skill: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "key": skill.key,
        "title": skill.title,
        "i_can": skill.i_can,
        "description": skill.description,
    }
    if skill.steps:
        fields["steps"] = list(skill.steps)
    if skill.recheck_days:
        fields["recheck_days"] = skill.recheck_days
    return _translated(fields, skill)


def _domain(domain: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"key": domain.key, "title": domain.title}
    if domain.summary:
        fields["summary"] = domain.summary
    if domain.icon:
        fields["icon"] = domain.icon
    _translated(fields, domain)
    fields["skills"] = [_skill(s) for s in domain.skills if not s.retired]
    return fields


def curriculum_yaml(curriculum: Curriculum) -> str:
    """The curriculum as the text of a curriculum file, fields in the documented order."""
    document = _translated(
        {"id": curriculum.key, "version": curriculum.version, "title": curriculum.title},
        curriculum,
    )
    document["signed_off_level"] = curriculum.signed_off_level
    document["levels"] = [
        _translated({"value": lv.value, "name": lv.name, "mentee_text": lv.mentee_text}, lv)
        for lv in curriculum.levels
    ]
    document["domains"] = [_domain(d) for d in curriculum.domains if not d.retired]
    header = (
        f"# {curriculum.title}, version {curriculum.version}: the curriculum as it is "
        "loaded now.\n"
        "# Edit it and upload it again. Keys never change once used: to change the wording,\n"
        "# edit the title or text and keep the key. A skill left out is retired, never\n"
        "# deleted, and keeps its history.\n\n"
    )
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=2,
        width=10_000,  # one line per value: easier to edit than folded lines
    )
    return header + body

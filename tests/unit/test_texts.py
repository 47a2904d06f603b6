"""The command line's words come from one catalogue (texts.CLI), in Swedish and English, said the same way."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from string import Formatter

import pytest

from trygg import texts
from trygg.texts import CLI, cli_help, say

ROOT = Path(__file__).resolve().parents[2]
CLI_MODULES = sorted((ROOT / "trygg").glob("cli*.py"))
# Where CLI entries are looked up: the command modules and what `trygg up` prints.
SPEAKERS = [*CLI_MODULES, ROOT / "trygg" / "localstack" / "intake.py", ROOT / "trygg" / "localstack" / "stack.py"]
CATALOGUE_CALLS = {"say", "cli_help", "both", "text", "pick"}
LETTER = re.compile(r"[^\W\d_]")


def placeholders(wording: str) -> set[tuple[str, str | None, str | None]]:
    """Each {name!conversion:spec} of a wording."""
    return {(name, conversion, spec) for _, name, spec, conversion in Formatter().parse(wording) if name is not None}


@pytest.mark.parametrize("key", list(CLI))
def test_every_cli_entry_has_swedish_and_english_with_the_same_placeholders(key: str) -> None:
    swedish, english = CLI[key]
    assert swedish.strip() and english.strip()
    assert placeholders(swedish) == placeholders(english)


def test_every_cli_entry_is_used() -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in SPEAKERS)
    assert [key for key in CLI if f'"{key}"' not in source and f"'{key}'" not in source] == []


def test_the_command_line_says_swedish_then_english_once_each() -> None:
    assert say("wrote") == "skrev / wrote"
    assert say("topics") == "topics"  # the same in both: said once
    assert say("links_revoked", revoked=2) == "2 länk(ar) återkallade / 2 link(s) revoked"
    assert texts.both(CLI, "counted", stored=5, expected=10) == (
        "räknade      5 av 10 händelser / counted      5 of 10 events")
    assert cli_help("help_effect") == ("före/efter-effekt av en överenskommelse, med 95 %% intervall / "
                                       "before/after effect of an agreement, with 95 %% intervals")


def inline_words(node: ast.AST) -> list[str]:
    """String literals with letters in `node`: words not taken from the catalogue. A catalogue lookup's key,
    a format spec (":<9", "%Y-%m-%d"), a dict key and a subscript (row["line"]) are no words."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in CATALOGUE_CALLS:
        return []
    if isinstance(node, ast.FormattedValue):
        return inline_words(node.value)
    if isinstance(node, ast.Subscript):
        return inline_words(node.value)
    if isinstance(node, ast.Dict):
        return [word for value in node.values for word in inline_words(value)]
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) and LETTER.search(node.value) else []
    return [word for child in ast.iter_child_nodes(node) for word in inline_words(child)]


def spoken(tree: ast.AST) -> list[ast.AST]:
    """What reaches the operator: print()'s arguments, argparse's help= and description=, raised messages."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if getattr(node.func, "id", None) == "print":
                found.extend(node.args)
            found.extend(k.value for k in node.keywords if k.arg in ("help", "description"))
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            found.extend(node.exc.args)
    return found


def test_the_scan_finds_inline_words() -> None:
    tree = ast.parse('print(f"wrote {path}"); p.add_argument("--x", help="skip it"); raise ValueError("bad")\n'
                     'print(f"{say(\'wrote\')}: {path:%Y}", row["line"], {"ok": ok}, ", ".join(names))')
    assert sorted(word for node in spoken(tree) for word in inline_words(node)) == ["bad", "skip it", "wrote "]


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda p: p.name)
def test_the_command_line_prints_no_inline_words(path: Path) -> None:
    """Every word a command prints, raises or shows in --help is a CLI entry; what stays inline is data and
    layout (values, column widths, punctuation)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert [(node.lineno, word) for node in spoken(tree) for word in inline_words(node)] == []

"""The command line's words come from one catalogue (texts.CLI), in Swedish and English, said the same way; so
do the use cases' messages and results, `trygg up`'s supervisor's lines and the terminal tables (texts.TABLE)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from string import Formatter

import pytest

from trygg import texts
from trygg.texts import CLI, TABLE, cli_help, say

ROOT = Path(__file__).resolve().parents[2]
TRYGG = ROOT / "trygg"
CLI_MODULES = sorted(TRYGG.glob("cli*.py"))
# What the commands call whose words reach the operator: the use cases, the adapters whose errors and results
# a command prints, the report's refusal and `trygg up`'s supervisor and stack.
USE_CASES = [*sorted((TRYGG / "app").glob("*.py")), TRYGG / "adapters" / "intake.py", TRYGG / "adapters" / "agencies.py",
             TRYGG / "adapters" / "grafana.py", TRYGG / "report" / "data.py", TRYGG / "localstack" / "supervisor.py",
             TRYGG / "localstack" / "stack.py"]
# Where CLI entries are looked up: the command modules, what `trygg up` prints and the use cases.
SPEAKERS = [*CLI_MODULES, TRYGG / "localstack" / "intake.py", *USE_CASES]
CATALOGUE_CALLS = {"say", "cli_help", "both", "text", "pick", "_word"}
LETTER = re.compile(r"[^\W\d_]")
# Functions returning a str that is a value for machines, not words: a file format, a URL, a Grafana uid.
MACHINE_VALUES = {"guess_format", "link_url", "folder_uid"}


def placeholders(wording: str) -> set[tuple[str, str | None, str | None]]:
    """Each {name!conversion:spec} of a wording."""
    return {(name, conversion, spec) for _, name, spec, conversion in Formatter().parse(wording) if name is not None}


@pytest.mark.parametrize(("section", "key"), [("CLI", key) for key in CLI] + [("TABLE", key) for key in TABLE])
def test_every_cli_entry_has_swedish_and_english_with_the_same_placeholders(section: str, key: str) -> None:
    swedish, english = getattr(texts, section)[key]
    assert swedish.strip() and english.strip()
    assert placeholders(swedish) == placeholders(english)


@pytest.mark.parametrize(("entries", "users"), [(CLI, SPEAKERS), (TABLE, [TRYGG / "app" / "estimate_effect.py"])],
                         ids=["CLI", "TABLE"])
def test_every_cli_entry_is_used(entries: dict[str, texts.Text], users: list[Path]) -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in users)
    assert [key for key in entries if f'"{key}"' not in source and f"'{key}'" not in source] == []


def test_the_command_line_says_swedish_then_english_once_each() -> None:
    assert say("wrote") == "skrev / wrote"
    assert say("topics") == "topics"  # the same in both: said once
    assert say("links_revoked", revoked=2) == "2 länk(ar) återkallade / 2 link(s) revoked"
    assert texts.both(CLI, "counted", stored=5, expected=10) == (
        "räknade      5 av 10 händelser / counted      5 of 10 events")
    assert cli_help("help_effect") == ("före/efter-effekt av en överenskommelse, med 95 %% intervall / "
                                       "before/after effect of an agreement, with 95 %% intervals")


def test_a_value_that_is_an_entry_is_said_in_each_halfs_language() -> None:
    assert say("service_restarted", name=CLI["service_relay"]) == "outbox-reläet startad igen / outbox relay restarted"
    assert say("service_restarted", name="tansu") == "tansu startad igen / tansu restarted"
    assert texts.text(TABLE, "col_before") == "före"  # the terminal tables are Swedish


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


def said_by_use_case(tree: ast.AST) -> list[ast.AST]:
    """What a use case hands to a person: raised messages, what it says (a supervisor's `self._say`, a progress
    bar's `write`) and what a function returning a str returns (unless it returns a value for machines)."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            found.extend(node.exc.args)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("_say", "write"):
            found.extend(node.args)
        elif (isinstance(node, ast.FunctionDef) and node.name not in MACHINE_VALUES
              and isinstance(node.returns, ast.Name | ast.Constant)
              and "str" in (getattr(node.returns, "id", None), getattr(node.returns, "value", None))):
            found.extend(r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None)
    return found


def test_the_scan_finds_inline_words() -> None:
    tree = ast.parse('print(f"wrote {path}"); p.add_argument("--x", help="skip it"); raise ValueError("bad")\n'
                     'print(f"{say(\'wrote\')}: {path:%Y}", row["line"], {"ok": ok}, ", ".join(names))')
    assert sorted(word for node in spoken(tree) for word in inline_words(node)) == ["bad", "skip it", "wrote "]
    use_case = ast.parse('def load() -> str:\n    lines = ["kept in a variable"]\n    return f"{n} loaded"\n'
                         'def guess_format() -> str:\n    return "csv"\n'
                         'def count() -> int:\n    return len("abc")\n'
                         'self._say(f"• {name} restarted"); bar.write(say("retrying", wait=1))\n'
                         'raise LookupError(f"no agreement {a!r}")')
    assert sorted(word for node in said_by_use_case(use_case) for word in inline_words(node)) == [
        " loaded", " restarted", "no agreement "]


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda p: p.name)
def test_the_command_line_prints_no_inline_words(path: Path) -> None:
    """Every word a command prints, raises or shows in --help is a CLI entry; what stays inline is data and
    layout (values, column widths, punctuation)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert [(node.lineno, word) for node in spoken(tree) for word in inline_words(node)] == []


@pytest.mark.parametrize("path", USE_CASES, ids=lambda p: str(p.relative_to(TRYGG)))
def test_the_use_cases_raise_say_and_return_no_inline_words(path: Path) -> None:
    """Every message a use case raises, every line the supervisor says and every str a use case returns for a
    person takes its words from the catalogue. The scan sees what the raise, the call or the return statement
    itself holds, not words first put into a variable."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert [(node.lineno, word) for node in said_by_use_case(tree) for word in inline_words(node)] == []

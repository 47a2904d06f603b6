"""The README is the newcomer's map: it must stay true to the code."""

from pathlib import Path

from trygg.cli import build_parser
from trygg.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in README]
    assert not missing, f"README's configuration table lacks {missing}"


def test_first_screen_gives_exactly_the_two_setup_commands_and_they_exist():
    first_screen = README.split("---", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_screen.splitlines() if line.startswith("bash ")]
    assert commands == ["bash scripts/up.sh", "bash scripts/test.sh"]
    for command in commands:
        assert (ROOT / command.split()[1]).is_file()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_trygg_command_is_documented():
    subcommands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    missing = [name for name in subcommands if f"trygg {name}" not in README]
    assert not missing, f"README's command table lacks {missing}"

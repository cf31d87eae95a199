"""The README's and docs/*.md code blocks stay true: Python blocks run as written, shell blocks name real commands.

A block that cannot run as written (a deployment template) says so in the text and carries the marker
``<!-- not runnable: reason -->`` on the line before its fence; its ``brainmark`` commands are still checked.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

from brainmark.cli.main import app

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
NOT_RUNNABLE = re.compile(r"^<!--\s*not runnable:\s*(?P<reason>\S.*?)\s*-->$")
FENCE = re.compile(r"^(?P<fence>`{3,})(?P<lang>[\w+-]*)\s*$")
SHELL = {"bash", "sh", "shell"}
LANGUAGES = SHELL | {"python", "text"}
SEPARATORS = {"|", "||", "&&", ";", "&"}
REDIRECTIONS = {"<", ">", ">>", "2>", "&>"}
PLACEHOLDER = re.compile(r"<[a-z][^<>]*>")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int
    lang: str
    code: str
    not_runnable: str | None

    @property
    def where(self) -> str:
        """``file:line`` of the opening fence."""
        return f"{self.path.relative_to(REPO_ROOT)}:{self.line}"


def code_blocks(path: Path, text: str | None = None) -> list[Block]:
    """The fenced blocks of a Markdown file, with the not-runnable reason written before each, if any."""
    lines = (path.read_text() if text is None else text).splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == match["fence"])
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = NOT_RUNNABLE.match(before)
        blocks.append(Block(path, i + 1, match["lang"], "\n".join(lines[i + 1:end]), marker["reason"] if marker else None))
        i = end + 1
    return blocks


def shell_commands(code: str) -> list[list[str]]:
    """Every simple command of a shell block as words: comments dropped, split at pipes and lists, no redirections."""
    commands: list[list[str]] = []
    for line in code.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words, current, skip = list(lexer), [], False
        for word in words:
            if skip:
                skip = False
            elif word in SEPARATORS:
                commands.append(current)
                current = []
            elif word in REDIRECTIONS:
                skip = True
            else:
                current.append(word)
        commands.append(current)
    return [c for c in commands if c]


def brainmark_problems(words: list[str]) -> list[str]:
    """What is wrong with one ``brainmark ...`` command line: an unknown (sub-)command or option."""
    command = typer.main.get_command(app)
    path, args = ["brainmark"], list(words[1:])
    while hasattr(command, "commands") and args and not args[0].startswith("-"):  # a group (typer's own click)
        if args[0] not in command.commands:
            return [f"`{' '.join(path)}` has no command {args[0]!r} (it has {', '.join(sorted(command.commands))})"]
        command = command.commands[args[0]]
        path.append(args.pop(0))
    if hasattr(command, "commands") and not args:
        return [f"`{' '.join(path)}` needs a sub-command ({', '.join(sorted(command.commands))})"]
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
    return [f"`{' '.join(path)}` has no option {arg.split('=', 1)[0]!r}" for arg in args
            if arg.startswith("-") and arg != "-" and arg.split("=", 1)[0] not in known]


def make_targets() -> set[str]:
    """The targets the Makefile defines."""
    return set(re.findall(r"^([A-Za-z0-9_.-]+):", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE))


def shell_problems(block: Block) -> list[str]:
    """Unknown ``brainmark`` commands or options and unknown ``make`` targets in a shell block."""
    problems = []
    for words in shell_commands(block.code):
        if words[0] == "brainmark":
            problems += brainmark_problems(words)
        elif words[0] == "make":
            problems += [f"the Makefile has no target {t!r}" for t in words[1:] if t not in make_targets()]
    return [f"{block.where}: {p}" for p in problems]


ALL_BLOCKS = [block for doc in DOCS for block in code_blocks(doc)]
PYTHON_DOCS = [doc for doc in DOCS if any(b.lang == "python" and not b.not_runnable for b in code_blocks(doc))]


def test_the_docs_have_code_blocks_of_known_languages():
    assert {doc.name for doc in DOCS} >= {"README.md", "architecture.md"}
    unknown = [f"{b.where}: ```{b.lang}" for b in ALL_BLOCKS if b.lang not in LANGUAGES]
    assert not unknown, f"tag every block python, bash or text: {unknown}"
    assert sum(b.lang in SHELL for b in ALL_BLOCKS) >= 6 and PYTHON_DOCS


def test_every_command_in_the_shell_blocks_exists():
    problems = [p for block in ALL_BLOCKS if block.lang in SHELL for p in shell_problems(block)]
    assert not problems, "\n".join(problems)
    shown = [w for b in ALL_BLOCKS if b.lang in SHELL for w in shell_commands(b.code) if w[0] == "brainmark"]
    assert len(shown) >= 12  # the check really reads the README's commands (14 outside not-runnable blocks)


def _outside_strings(code: str) -> str:
    """Python code without its string literals (HTML in a string is not a placeholder)."""
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return code
    return " ".join(t.string for t in tokens if t.type != tokenize.STRING)


def test_blocks_with_placeholders_say_they_do_not_run():
    unmarked = [b.where for b in ALL_BLOCKS if b.lang in SHELL | {"python"} and not b.not_runnable
                and PLACEHOLDER.search(_outside_strings(b.code) if b.lang == "python" else b.code)]
    assert not unmarked, f"replace the <placeholders> or mark the block <!-- not runnable: reason -->: {unmarked}"


def test_the_checker_finds_wrong_commands_options_and_targets():
    text = "\n".join(["```bash", "brainmark benchmarks lst", "brainmark score m --no-such-flag  # comment",
                      "make tests", "brainmark models", "brainmark cache list --format=json | cat", "```"])
    (block,) = code_blocks(REPO_ROOT / "README.md", text)
    problems = shell_problems(block)
    assert len(problems) == 4, problems
    assert "no command 'lst'" in problems[0] and "no option '--no-such-flag'" in problems[1]
    assert "no target 'tests'" in problems[2] and "needs a sub-command" in problems[3]
    marked = code_blocks(REPO_ROOT / "README.md", "<!-- not runnable: needs a cluster -->\n```bash\nls\n```")
    assert marked[0].not_runnable == "needs a cluster"
    assert shell_commands("a --x=1 | b > out.txt; c <this host>  # d") == [["a", "--x=1"], ["b"], ["c", "host"]]


@pytest.mark.slow
@pytest.mark.filterwarnings("error::UserWarning")  # brainmark's warnings say the example is not as meant
@pytest.mark.parametrize("doc", PYTHON_DOCS, ids=lambda d: d.name)
def test_python_blocks_run_as_written(doc, shared_data, brainmark_home, tmp_path, monkeypatch):
    """The Python blocks of one document, in order, in one namespace (as a reader would paste them)."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for block in code_blocks(doc):
        if block.lang == "python" and not block.not_runnable:
            exec(compile(block.code, block.where, "exec"), namespace)  # noqa: S102 - the project's own docs

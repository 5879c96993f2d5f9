"""The code the scripted agent writes in the demo: real modules with real tests.

`STATS_FIRST_TRY` is the deliberate mistake: it splits on spaces, so "The" and "the" count
as two words and punctuation sticks to them. Its tests fail, the step is reworked with the
failing test in its prompt, and the second attempt writes `STATS`.
"""

from __future__ import annotations

SLUG = '''\
"""URL slugs."""

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 60) -> str:
    """Lower-case ASCII words joined by hyphens: "Héllo, World!" -> "hello-world"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_ALNUM.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")
'''

SLUG_TESTS = '''\
from textkit.slug import slugify


def test_words_are_joined_by_hyphens() -> None:
    assert slugify("Hello, World!") == "hello-world"


def test_accents_are_dropped() -> None:
    assert slugify("Crème brûlée") == "creme-brulee"


def test_long_slugs_are_cut_without_a_trailing_hyphen() -> None:
    assert slugify("aaa bbb ccc", max_length=4) == "aaa"
'''

STATS_FIRST_TRY = '''\
"""Word statistics."""

from collections import Counter


def words(text: str) -> list[str]:
    """The words of `text`."""
    return text.split()


def word_count(text: str) -> int:
    return len(words(text))


def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    """The `n` most frequent words, most frequent first."""
    return Counter(words(text)).most_common(n)
'''

STATS = '''\
"""Word statistics."""

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z0-9']+")


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased, without punctuation."""
    return [word.lower() for word in _WORD.findall(text)]


def word_count(text: str) -> int:
    return len(words(text))


def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    """The `n` most frequent words, most frequent first; ties in order of first use."""
    return Counter(words(text)).most_common(n)
'''

STATS_TESTS = '''\
from textkit.stats import top_words, word_count, words


def test_words_ignore_case_and_punctuation() -> None:
    assert words("Hello, world! Hello.") == ["hello", "world", "hello"]


def test_word_count() -> None:
    assert word_count("one two  three") == 3


def test_top_words_count_the_same_word_in_any_case_once() -> None:
    assert top_words("The cat saw the dog. The end.", 2) == [("the", 3), ("cat", 1)]
'''

TOC = '''\
"""A table of contents for a Markdown document."""

from textkit.slug import slugify


def headings(markdown: str) -> list[tuple[int, str]]:
    """(level, title) of every `#` heading, skipping fenced code blocks."""
    found: list[tuple[int, str]] = []
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        level = len(line) - len(line.lstrip("#"))
        if not in_code and 1 <= level <= 6 and line[level:level + 1] == " ":
            found.append((level, line[level:].strip()))
    return found


def table_of_contents(markdown: str) -> str:
    """A nested Markdown list linking every heading to its slug anchor."""
    return "\\n".join(
        f"{'  ' * (level - 1)}- [{title}](#{slugify(title)})"
        for level, title in headings(markdown)
    )
'''

TOC_TESTS = '''\
from textkit.toc import headings, table_of_contents

DOC = "# Guide\\n\\nText.\\n\\n## First steps\\n\\n```\\n# not a heading\\n```\\n"


def test_headings_skip_code_blocks() -> None:
    assert headings(DOC) == [(1, "Guide"), (2, "First steps")]


def test_table_of_contents_links_to_slugs() -> None:
    assert table_of_contents(DOC) == "- [Guide](#guide)\\n  - [First steps](#first-steps)"


def test_no_headings_no_contents() -> None:
    assert table_of_contents("just text") == ""
'''

REPORT = '''\
"""A one-screen report on a Markdown document: `python -m textkit FILE`."""

from textkit.stats import top_words, word_count
from textkit.toc import table_of_contents


def report(markdown: str) -> str:
    """Word count, the three most frequent words and the table of contents."""
    top = ", ".join(f"{word} ({count})" for word, count in top_words(markdown, 3))
    return "\\n".join([
        f"words: {word_count(markdown)}",
        f"top words: {top or '-'}",
        "contents:",
        table_of_contents(markdown) or "(no headings)",
    ])
'''

MAIN = '''\
"""`python -m textkit FILE`: print the report of a Markdown file."""

import sys
from pathlib import Path

from textkit.report import report


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m textkit FILE", file=sys.stderr)
        return 2
    print(report(Path(argv[0]).read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
'''

REPORT_TESTS = '''\
from pathlib import Path

import pytest

from textkit.__main__ import main
from textkit.report import report


def test_report() -> None:
    assert report("# Notes\\n\\nThe cat and the hat.") == (
        "words: 6\\n"
        "top words: the (2), notes (1), cat (1)\\n"
        "contents:\\n"
        "- [Notes](#notes)"
    )


def test_main_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("plain words only")
    assert main([str(doc)]) == 0
    assert capsys.readouterr().out == "words: 3\\ntop words: plain (1), words (1), only (1)\\n" \\
        "contents:\\n(no headings)\\n"
'''

PACKAGE_INIT = '''\
"""textkit: small, dependable text utilities."""

from textkit.clean import normalize_space
from textkit.report import report
from textkit.slug import slugify
from textkit.stats import top_words, word_count, words
from textkit.toc import headings, table_of_contents

__all__ = [
    "headings",
    "normalize_space",
    "report",
    "slugify",
    "table_of_contents",
    "top_words",
    "word_count",
    "words",
]
'''

README_USAGE = '''
## Usage

```python
from textkit import report, slugify, top_words

slugify("Hello, World!")          # "hello-world"
top_words("The cat saw the dog")  # [("the", 2), ("cat", 1), ("saw", 1)]
```

`python -m textkit notes.md` prints the word count, the most frequent words and a table of
contents of a Markdown file.
'''

#!/usr/bin/env python3
"""Writes every C++ snippet of README.md and docs/*.md as a compilable source file.

A snippet is a ```cpp (or ```c++) block. Its #include and using lines go to the top of the file, the rest
becomes the body of a function, so a snippet reads like the inside of a program. What a snippet assumes
(variables from the surrounding prose) is declared in an HTML comment right before the block, which a
reader of the rendered page does not see:  <!-- snippet context: Tensor x_train, y_train; -->

usage: extract.py SOURCE_DIR OUTPUT_DIR   (prints the written files, one a line)
"""
import pathlib
import re
import sys

BLOCK = re.compile(r"(?:<!-- snippet context:(?P<context>.*?)-->\s*\n)?```(?:cpp|c\+\+)\n(?P<code>.*?)```", re.S)


def snippet_source(code: str, context: str, origin: str, index: int) -> str:
    top = ['#include "cairn/cairn.h"']
    body = []
    for line in code.splitlines():
        (top if re.match(r"\s*(#include|using namespace)", line) else body).append(line)
    if not any("using namespace cairn" in line for line in top):
        top.append("using namespace cairn;")
    return "\n".join(
        [f"// Extracted from {origin} (snippet {index}) by tests/doc_snippets/extract.py; do not edit."]
        + top
        + [f"[[maybe_unused]] void snippet_{index}() {{", context.strip()]
        + body
        + ["}", ""]
    )


def main() -> None:
    source_dir, output_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    output_dir.mkdir(parents=True, exist_ok=True)
    for old in output_dir.glob("*.cc"):
        old.unlink()
    docs = [source_dir / "README.md"] + sorted((source_dir / "docs").glob("*.md"))
    count = 0
    for doc in docs:
        for match in BLOCK.finditer(doc.read_text()):
            count += 1
            origin = doc.relative_to(source_dir)
            path = output_dir / f"{origin.stem.lower()}_{count}.cc"
            path.write_text(snippet_source(match["code"], match["context"] or "", str(origin), count))
            print(path)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The layering of cairn's modules, checked against the code (run by ctest as `layering`).

  check_layering.py SOURCE_DIR MODULE_GRAPH

MODULE_GRAPH is the file CMake writes at configure time (cairn_write_module_graph): one line per module,
"name: the modules it depends on directly". The check fails, naming the file and line, when
* the graph drawn in docs/design.md ("## Module graph": a mermaid block of "a --> b" edges, a depending
  on b) differs from CMake's, or its table of public headers does not give every header of include/cairn
  exactly one module;
* a file of src/<module>/ (or a header a module owns in include/cairn/) includes a public or internal
  header of a module that is not below it, or a private header of another module (a quoted include that
  is neither in include/ nor in the module's own folder);
* a public header includes one of include/cairn/internal/, which is not installed.
"""
import fnmatch
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_cmake_graph(path):
    graph = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if line.strip():
            name, _, deps = line.partition(':')
            graph[name.strip()] = deps.split()
    return graph


def read_doc(path):
    """The mermaid edges, the modules marked optional and the header patterns of the Module graph section."""
    text = path.read_text()
    match = re.search(r'^## Module graph\n(.*?)(?=^## |\Z)', text, re.M | re.S)
    if not match:
        sys.exit(f'{path}: no "## Module graph" section')
    section = match.group(1)
    block = re.search(r'```mermaid\n(.*?)```', section, re.S)
    if not block:
        sys.exit(f'{path}: the Module graph section has no mermaid block')
    nodes, edges = set(), set()
    for line in block.group(1).splitlines():
        line = line.strip()
        if not line or line.startswith(('graph', 'flowchart', '%%')):
            continue
        edge = re.fullmatch(r'(\w+)\s*-->\s*(\w+)', line)
        if edge:
            edges.add(edge.groups())
            nodes.update(edge.groups())
        elif re.fullmatch(r'\w+', line):
            nodes.add(line)
        else:
            sys.exit(f'{path}: cannot read the mermaid line {line!r}')
    owners, optional = {}, set()
    for row in re.findall(r'^\|(.+)\|\s*$', section, re.M):
        cells = [c.strip() for c in row.split('|')]
        if len(cells) < 2 or cells[0] in ('module', '') or set(cells[0]) <= set('-: '):
            continue
        module = re.sub(r'`', '', cells[0]).split()[0]
        if 'optional' in cells[0]:
            optional.add(module)
        for pattern in re.findall(r'`([^`]+)`', cells[-1]):
            owners[pattern] = module
    return nodes, edges, owners, optional


def below(graph, module):
    """Every module that module depends on, directly or not."""
    seen, todo = set(), list(graph.get(module, []))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(graph.get(dep, []))
    return seen


def main(source_dir, graph_file):
    root = pathlib.Path(source_dir)
    doc = root / 'docs' / 'design.md'
    graph = read_cmake_graph(graph_file)
    nodes, edges, owners, optional = read_doc(doc)
    errors = []

    cmake_edges = {(m, d) for m, deps in graph.items() for d in deps}
    doc_edges = {(m, d) for m, d in edges if m in graph or m not in optional}
    for m, d in sorted(cmake_edges - doc_edges):
        errors.append(f'{doc}: the graph lacks {m} --> {d}, which src/CMakeLists.txt declares')
    for m, d in sorted(doc_edges - cmake_edges):
        errors.append(f'{doc}: the graph draws {m} --> {d}, which src/CMakeLists.txt does not declare')
    for m in sorted(set(graph) - nodes):
        errors.append(f'{doc}: the graph lacks module {m}')
    for m in sorted(nodes - set(graph) - optional):
        errors.append(f'{doc}: the graph draws module {m}, which src/CMakeLists.txt does not declare '
                      '(mark it "optional" in the table if it is built only on request)')
    all_modules = set(graph) | optional

    def owner_of(header):  # header relative to include/cairn
        internal = re.match(r'internal/(\w+)/', header)
        if internal:
            return internal.group(1)
        found = {module for pattern, module in owners.items() if fnmatch.fnmatch(header, pattern)}
        return found.pop() if len(found) == 1 else (None if not found else sorted(found))

    include_dir = root / 'include' / 'cairn'
    for path in sorted(include_dir.rglob('*.h')):
        header = path.relative_to(include_dir).as_posix()
        owner = owner_of(header)
        if header == 'cairn.h':
            continue  # includes every public header, for users
        if owner is None:
            errors.append(f'{path}: no module owns it in the table of {doc}')
        elif isinstance(owner, list):
            errors.append(f'{path}: owned by {", ".join(owner)} in the table of {doc}: one module only')
        elif owner not in all_modules:
            errors.append(f'{path}: owned by {owner}, which is not a module')

    def check_file(path, module, own_dirs):
        allowed = below(graph, module) | {module}
        for number, line in enumerate(path.read_text(errors='replace').splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            name = match.group(1)
            where = f'{path}:{number}: {module} includes "{name}"'
            if name.startswith('cairn/'):
                header = name[len('cairn/'):]
                if not (include_dir / header).is_file():
                    errors.append(f'{where}, which include/cairn does not have')
                    continue
                owner = owner_of(header)
                if header.startswith('internal/') and path.is_relative_to(include_dir) and \
                        not path.relative_to(include_dir).as_posix().startswith('internal/'):
                    errors.append(f'{where}: a public header cannot include an internal one (not installed)')
                elif header == 'cairn.h':
                    errors.append(f'{where}: the umbrella header is for users, not modules')
                elif isinstance(owner, str) and owner not in allowed:
                    kind = 'an internal' if header.startswith('internal/') else 'a public'
                    errors.append(f'{where}, {kind} header of {owner}, which is not below {module}')
            elif name.endswith('.pb.h'):
                proto_module = name.split('/')[0]
                if proto_module not in allowed:
                    errors.append(f'{where}, generated from a proto of {proto_module}, which is not below {module}')
            elif not any((d / name).is_file() for d in own_dirs(path)):
                errors.append(f'{where}: not a header of {module} (another module\'s private header?)')

    for module_dir in sorted(p for p in (root / 'src').iterdir() if p.is_dir()):
        module = module_dir.name
        if module not in all_modules:
            errors.append(f'{module_dir}: a folder of src/ that is not a module in {graph_file}')
            continue
        for path in sorted(module_dir.rglob('*')):
            if path.suffix in ('.h', '.cc', '.inc'):
                check_file(path, module, lambda p, m=module_dir: (p.parent, m))
    for path in sorted(include_dir.rglob('*.h')):
        header = path.relative_to(include_dir).as_posix()
        owner = owner_of(header)
        if isinstance(owner, str) and header != 'cairn.h':
            check_file(path, owner, lambda p: ())

    for error in errors:
        print(error)
    if errors:
        print(f'{len(errors)} layering errors (the rules: docs/design.md, "Module graph")')
        return 1
    print(f'layering: {len(graph)} modules, {len(cmake_edges)} dependencies, every include within them')
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))

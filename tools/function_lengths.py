#!/usr/bin/env python3
"""Lists functions longer than a limit in C++ sources (a brace-matching scan, not a parser):
top-level and class-member function bodies, lambdas counted within their function.
Usage: function_lengths.py LIMIT PATH...   Exit 1 if any function is longer than LIMIT lines."""
import re, sys, os

def strip(src):
    # Blank out comments, strings and chars so braces inside them do not count.
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith('//', i):
            j = src.find('\n', i); j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j
        elif src.startswith('/*', i):
            j = src.find('*/', i + 2); j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', src[i:j])); i = j
        elif src.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', src[i:])
            end = src.find(')' + m.group(1) + '"', i) + len(m.group(1)) + 2
            out.append(re.sub(r'[^\n]', ' ', src[i:end])); i = end
        elif c in '"\'':
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == '\\' else 1
            out.append(' ' * (j + 1 - i)); i = j + 1
        else:
            out.append(c); i += 1
    return ''.join(out)

def functions(path):
    src = strip(open(path, encoding='utf-8').read())
    depth_kinds, results = [], []
    line = 1
    i = 0
    for i, c in enumerate(src):
        if c == '\n':
            line += 1
        elif c == '{':
            head = src[max(0, i - 300):i]
            stmt = re.split(r'[;{}]', head)[-1]
            is_fn = bool(re.search(r'\)\s*(const|override|final|noexcept|->[^{]*|\s)*$', stmt)) \
                and not re.search(r'\b(if|for|while|switch|catch)\s*\(', stmt) \
                and not any(k == 'fn' for k, _, _ in depth_kinds)
            name = re.sub(r'\s+', ' ', stmt.strip())[:90]
            depth_kinds.append(('fn' if is_fn else 'block', line, name))
        elif c == '}':
            if depth_kinds:
                kind, start, name = depth_kinds.pop()
                if kind == 'fn':
                    results.append((line - start + 1, start, name))
    return results

limit = int(sys.argv[1])
bad = 0
for root in sys.argv[2:]:
    paths = [root] if os.path.isfile(root) else [os.path.join(d, f) for d, _, fs in os.walk(root)
                                                 for f in fs if f.endswith(('.cc', '.h'))]
    for p in sorted(paths):
        if p.endswith('_test.cc'):
            continue
        for length, start, name in functions(p):
            if length > limit:
                bad += 1
                print(f'{p}:{start}: {length} lines: {name}')
sys.exit(1 if bad else 0)

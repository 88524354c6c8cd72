#!/usr/bin/env python3
"""Rewrites the catalog tables of docs/config.md from `itwin components --markdown`.

    scripts/update-catalog-docs.py [ITWIN=build/src/itwin]

Each `<!-- catalog KEY -->` ... `<!-- /catalog -->` block is replaced by the
current one; catalogs the page lacks are added at the end of its Components
section. tests/config/catalogs_test.cpp checks the page against the catalogs.
"""
import re
import subprocess
import sys

itwin = sys.argv[1] if len(sys.argv) > 1 else "build/src/itwin"
out = subprocess.run([itwin, "components", "--markdown"], check=True, capture_output=True, text=True).stdout
blocks = {key: block for block, key in re.findall(r"(<!-- catalog (\S+) -->.*?<!-- /catalog -->\n)", out, re.S)}
path = "docs/config.md"
doc = open(path).read()
for key, block in blocks.items():
    pattern = re.compile(r"<!-- catalog " + re.escape(key) + r" -->.*?<!-- /catalog -->\n", re.S)
    if pattern.search(doc):
        doc = pattern.sub(lambda _: block, doc)
    else:
        end = doc.index("## Errors")
        doc = doc[:end] + block + "\n" + doc[end:]
open(path, "w").write(doc)
print(f"{path}: {len(blocks)} catalogs")

#!/usr/bin/env python3
"""Checks that the folders of Sources/HookKit are layers whose arrows point down.

Each folder may use the types declared in the folders below it in LAYERS, never those above it
(docs/architecture.md draws the same order). A type is "used" when its name appears in a folder's
code outside comments. Exits 1 listing every upward use, 0 otherwise.

    scripts/check-layers.py [SOURCES_DIR]     (default Sources/HookKit)
"""
import collections
import os
import re
import sys

# From the bottom up; folders on one line of docs/architecture.md's drawing may use each other
# only when listed in the same tuple here.
LAYERS = ["Crypto", "JSON", "Identity", "HTTP", "OTLP", "Configuration", "Spool", "Redaction",
          "Delivery", "Emit", "Install", "Doctor"]

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "Sources/HookKit"
    rank = {name: index for index, name in enumerate(LAYERS)}
    declared = {}
    code = collections.defaultdict(str)
    for folder in sorted(os.listdir(root)):
        path = os.path.join(root, folder)
        if not os.path.isdir(path) or folder.endswith(".docc"):
            continue
        if folder not in rank:
            print(f"check-layers: {folder}/ is not in LAYERS (scripts/check-layers.py)")
            return 1
        for name in sorted(os.listdir(path)):
            if not name.endswith(".swift"):
                continue
            text = open(os.path.join(path, name), encoding="utf-8").read()
            code[folder] += re.sub(r"//.*", "", text) + "\n"
            for match in re.finditer(
                    r"^(?:package |public )(?:final )?(?:struct|enum|class|protocol|typealias)\s+(\w+)",
                    text, re.M):
                declared.setdefault(match.group(1), folder)
    problems = []
    for folder, text in sorted(code.items()):
        for name, owner in sorted(declared.items()):
            if rank[owner] > rank[folder] and re.search(r"\b" + re.escape(name) + r"\b", text):
                problems.append(f"{folder}/ uses {name} from {owner}/, a layer above it")
    for problem in problems:
        print("check-layers:", problem)
    print(f"check-layers: {len(code)} folders, {len(declared)} package or public types, {len(problems)} upward uses")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())

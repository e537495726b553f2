"""Write a pySigma processing pipeline that resolves tripline's %name% placeholders.

Usage: python sigma_lists_pipeline.py LISTS_DIR OUT.yml

Every plain list file under LISTS_DIR (`name: [values]`) becomes a `vars` entry; the
structured registries (files with a `version:` key: posture.yml, tools.yml,
session_class.yml) are skipped, as tripline's own list loader skips them. Used by
crates/tripline/tests/rule_pack_sigma_cli.rs and by the conversion recipe in
docs/detections.md ("Portability").
"""
import glob
import os
import sys

import yaml


def main() -> None:
    lists_dir, out = sys.argv[1], sys.argv[2]
    variables = {}
    for path in sorted(glob.glob(os.path.join(lists_dir, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        if "version" in doc:
            continue
        variables.update(doc)
    pipeline = {
        "name": "tripline lists",
        "priority": 10,
        "vars": variables,
        "transformations": [{"id": "tripline_lists", "type": "value_placeholders"}],
    }
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump(pipeline, f)


if __name__ == "__main__":
    main()

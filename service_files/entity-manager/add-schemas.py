#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Add cable-presenced's and nvmed's record schemas to entity-manager's.

    add-schemas.py SCHEMA_DIR

SCHEMA_DIR is entity-manager's schemas/ directory (a source checkout, e.g.
in a bbappend's do_configure:prepend, before its validate-json step). The
script copies gpio_cable_sensing.json and nvmed.json (found beside it)
into SCHEMA_DIR and edits exposes_record.json's ConfigSchema, the oneOf
every Exposes record is validated against:

- GPIOCableSensing records are validated by gpio_cable_sensing.json;
- NVME1000 records by nvmed.json instead of legacy.json, since a record
  must match exactly one entry of the oneOf and legacy.json's NVME1000
  ("additionalProperties": false) refuses nvmed's keys.

Running it twice changes nothing more.
"""
import json
import os
import shutil
import sys

OURS = {
    "gpio_cable_sensing.json": "GPIOCableSensing",
    "nvmed.json": "NVME1000",
}
REPLACES = {"legacy.json#/$defs/NVME1000": "nvmed.json#/$defs/NVME1000"}


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    schema_dir = argv[1]
    record_path = os.path.join(schema_dir, "exposes_record.json")
    try:
        with open(record_path, encoding="utf-8") as f:
            record = json.load(f)
        config = record["$defs"]["ConfigSchema"]["oneOf"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.stderr.write(
            f"add-schemas: {record_path}: not entity-manager's "
            f"exposes_record.json with $defs.ConfigSchema.oneOf ({e})\n")
        return 1

    here = os.path.dirname(os.path.abspath(__file__))
    for name in OURS:
        if os.path.abspath(schema_dir) != here:
            shutil.copyfile(os.path.join(here, name),
                            os.path.join(schema_dir, name))

    refs = [entry.get("$ref") for entry in config]
    for i, ref in enumerate(refs):
        if ref in REPLACES:
            config[i] = {"$ref": REPLACES[ref]}
    refs = [entry.get("$ref") for entry in config]
    for name, definition in OURS.items():
        ref = f"{name}#/$defs/{definition}"
        if ref not in refs:
            config.append({"$ref": ref})

    tmp = record_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=4)
        f.write("\n")
    os.replace(tmp, record_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

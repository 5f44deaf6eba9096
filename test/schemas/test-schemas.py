#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The entity-manager schemas shipped in service_files/entity-manager.

    test-schemas.py EM_DIR SOURCE_ROOT NVMED CABLE_PRESENCED

EM_DIR is an entity-manager checkout (its schemas/ and configurations/);
without it (empty or missing) the test is skipped (exit 77). It:

1. adds our schemas to a copy of EM_DIR/schemas with add-schemas.py,
   exactly as an integrator does;
2. validates, against that copy's global.json (the schema entity-manager's
   validate-json step uses), every board file the project uses (the
   demo's) and every board file of EM_DIR/configurations, which must still
   validate with our NVME1000 in place of legacy.json's;
   and runs both daemons' --check-config over every board file of
   EM_DIR/configurations: none may be refused where the schemas accept it
   (entity-manager fills in templates such as "$bus", and probes the
   alternative boards of a file one at a time);
3. checks that the deliberately broken demo board is refused by the schema
   and by the daemon, naming the same key;
4. derives, from our schema definitions, a record for every way to break
   each key (wrong type, outside a bound, not in an enum, a required key
   left out, an unknown key), and checks that each one the schema refuses
   is refused by the daemon (--check-config), which names the same key.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)

failures = []
checked = 0


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


# A string (kept), or a // or /* */ comment (dropped): entity-manager's
# board files may hold comments, which its validate-json step removes
# before parsing (scripts/validate_configs.py), as json-c reads them.
COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.loads(COMMENT.sub(lambda m: m.group(1) or "", f.read()))


class Schemas:
    """EM's schema directory with ours added, resolving $refs by file."""

    def __init__(self, schema_dir):
        self.dir = schema_dir
        self.store = {}
        for name in os.listdir(schema_dir):
            if name.endswith(".json"):
                doc = load(os.path.join(schema_dir, name))
                self.store[name] = doc
        cls = jsonschema.validators.validator_for(self.store["global.json"])
        self.cls = cls

    def validator(self, name, fragment=""):
        doc = self.store[name]
        schema = {"$ref": name + fragment} if fragment else doc
        base = "file://" + os.path.join(self.dir, name)
        store = {"file://" + os.path.join(self.dir, n): d
                 for n, d in self.store.items()}
        store.update({n: d for n, d in self.store.items()})
        resolver = jsonschema.RefResolver(base, doc, store=store)
        return self.cls(schema, resolver=resolver)

    def board_errors(self, board):
        v = self.validator("global.json")
        return sorted(v.iter_errors(board), key=lambda e: list(e.path))


def record_key(error):
    """The top-level key a schema error is about (validating one record)."""
    if error.path:
        return str(error.path[0])
    if error.validator == "required":
        return error.message.split("'")[1]
    if error.validator == "additionalProperties":
        return error.message.split("'")[1]
    return None


def daemon_check(daemon, board, tmp):
    path = os.path.join(tmp, "board.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(board, f)
    p = subprocess.run([daemon, "--check-config", path],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr + p.stdout


def board_of(record):
    return {"Name": "Schema Test", "Type": "Board", "Probe": "TRUE",
            "Exposes": [record]}


# ---- breaking a record, key by key ------------------------------------

JSON_SAMPLES = {
    "string": "text", "integer": 7, "number": 7.5, "boolean": True,
    "array": [1], "object": {"a": 1}, "null": None,
}


def type_ok(types, value):
    for t in types:
        if t == "number" and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            return True
        if t == "integer" and isinstance(value, int) \
                and not isinstance(value, bool):
            return True
        if t == "string" and isinstance(value, str):
            return True
        if t == "boolean" and isinstance(value, bool):
            return True
        if t == "array" and isinstance(value, list):
            return True
        if t == "object" and isinstance(value, dict):
            return True
        if t == "null" and value is None:
            return True
    return False


def resolve(schemas, name, prop):
    while "$ref" in prop:
        ref = prop["$ref"]
        file, _, frag = ref.partition("#")
        doc = schemas.store[file or name]
        node = doc
        for part in frag.strip("/").split("/"):
            node = node[part]
        prop = node
        name = file or name
    return prop


def bad_values(prop):
    """Values that break one property's own constraints."""
    out = []
    types = prop.get("type")
    if types is None and "enum" in prop:
        types = sorted({{str: "string", int: "integer", float: "number",
                         bool: "boolean"}[type(v)] for v in prop["enum"]})
    if types is None and "const" in prop:
        types = ["string"]
    if isinstance(types, str):
        types = [types]
    for t, v in JSON_SAMPLES.items():
        if types and not type_ok(types, v) and t != "null":
            out.append(v)
    if types and {"integer", "number"} & set(types) and "string" not in types:
        out.append(str(prop.get("minimum", 7)))  # a number in a string
    if "enum" in prop:
        out.append("no_such_value")
    if "minimum" in prop:
        out.append(prop["minimum"] - 1)
    if "maximum" in prop:
        out.append(prop["maximum"] + 1)
    if types == ["integer"]:
        out.append(prop.get("minimum", 0) + 0.5)
    if prop.get("minLength"):
        out.append("")
    if "maxLength" in prop:
        out.append("x" * (prop["maxLength"] + 1))
    return out


def broken_records(schemas, file, definition, good):
    """(description, record, key) for every way to break good."""
    d = schemas.store[file]["$defs"][definition]
    for key, prop in d["properties"].items():
        if key == "Type":
            continue
        prop = resolve(schemas, file, prop)
        for v in bad_values(prop):
            r = copy.deepcopy(good)
            r[key] = v
            yield f"{key}={json.dumps(v)[:40]}", r, key
        if prop.get("type") == "array" and "items" in prop:
            items = resolve(schemas, file, prop["items"])
            item = copy.deepcopy(good.get(key, [{}])[0])
            for ikey, iprop in items.get("properties", {}).items():
                for v in bad_values(resolve(schemas, file, iprop)):
                    r = copy.deepcopy(good)
                    bad_item = dict(item)
                    bad_item[ikey] = v
                    r[key] = [bad_item]
                    yield f"{key}[0].{ikey}={json.dumps(v)[:40]}", r, key
            for ikey in items.get("required", []):
                r = copy.deepcopy(good)
                bad_item = dict(item)
                bad_item.pop(ikey, None)
                r[key] = [bad_item]
                yield f"{key}[0] without {ikey}", r, key
    for key in d.get("required", []):
        if key == "Type":
            continue
        r = copy.deepcopy(good)
        r.pop(key, None)
        yield f"without {key}", r, key
    if d.get("additionalProperties") is False:
        r = copy.deepcopy(good)
        r["Polarty"] = "active_low"
        yield "unknown key Polarty", r, "Polarty"


def check_agreement(schemas, daemon, file, definition, good, tmp):
    global checked
    v = schemas.validator(file, "#/$defs/" + definition)
    errs = list(v.iter_errors(good))
    if errs:
        fail(f"{definition}: the good record is refused by the schema: "
             f"{errs[0].message}")
        return
    rc, out = daemon_check(daemon, board_of(good), tmp)
    if rc != 0:
        fail(f"{definition}: the good record is refused by "
             f"{os.path.basename(daemon)}: {out.strip()}")
        return
    refused = 0
    for what, record, key in broken_records(schemas, file, definition,
                                            good):
        errs = list(v.iter_errors(record))
        if not errs:
            continue  # the schema allows it; the daemon may be stricter
        refused += 1
        keys = {record_key(e) for e in errs}
        if key not in keys:
            fail(f"{definition} {what}: the schema names {keys}, "
                 f"expected '{key}'")
        # ... and entity-manager's whole-board validation refuses it too
        if not schemas.board_errors(board_of(record)):
            fail(f"{definition} {what}: refused by the definition but "
                 "not by global.json")
        rc, out = daemon_check(daemon, board_of(record), tmp)
        checked += 1
        if rc == 0:
            fail(f"{definition} {what}: refused by the schema "
                 f"({errs[0].message}) but accepted by "
                 f"{os.path.basename(daemon)}")
        elif f"key '{key}" not in out:
            fail(f"{definition} {what}: {os.path.basename(daemon)} "
                 f"refuses it without naming '{key}': {out.strip()}")
    print(f"ok: {definition}: {refused} broken records refused by the "
          f"schema and by {os.path.basename(daemon)}, naming the same key")


def main(argv):
    if len(argv) != 5:
        print(__doc__)
        return 2
    em_dir, src, nvmed, cable = argv[1:]
    if not em_dir or not os.path.isdir(os.path.join(em_dir, "schemas")):
        print("SKIP: no entity-manager checkout given "
              "(meson -Dentity-manager-dir=DIR)")
        return 77
    ours = os.path.join(src, "service_files", "entity-manager")
    with tempfile.TemporaryDirectory() as tmp:
        schema_dir = os.path.join(tmp, "schemas")
        shutil.copytree(os.path.join(em_dir, "schemas"), schema_dir)
        subprocess.run([sys.executable, os.path.join(ours, "add-schemas.py"),
                        schema_dir], check=True)
        schemas = Schemas(schema_dir)

        # 2. every board file we use, and entity-manager's own
        boards = [os.path.join(src, "test", "demo", "boards", n)
                  for n in sorted(os.listdir(os.path.join(
                      src, "test", "demo", "boards")))]
        broken = [b for b in boards if b.endswith("-broken.json")]
        configs = os.path.join(em_dir, "configurations")
        for root, _, names in os.walk(configs):
            boards += [os.path.join(root, n) for n in sorted(names)
                       if n.endswith(".json")]
        n_boards = 0
        for path in boards:
            if path in broken:
                continue
            doc = load(path)
            for board in doc if isinstance(doc, list) else [doc]:
                n_boards += 1
                for e in schemas.board_errors(board):
                    fail(f"{path}: {'/'.join(map(str, e.path))}: "
                         f"{e.message[:200]}")
        print(f"ok: {n_boards} board files validate against global.json "
              "with our schemas")

        # 2b. both daemons' --check-config over entity-manager's own
        # board files: what the schemas accept, they accept too
        # (templates are entity-manager's to fill in, alternative boards
        # of a file are probed one at a time)
        n_em = 0
        for root, _, names in os.walk(configs):
            for n in sorted(names):
                if not n.endswith(".json"):
                    continue
                path = os.path.join(root, n)
                doc = load(path)
                refused_by_schema = any(
                    schemas.board_errors(b)
                    for b in (doc if isinstance(doc, list) else [doc]))
                n_em += 1
                for daemon in (nvmed, cable):
                    p = subprocess.run([daemon, "--check-config", path],
                                       capture_output=True, text=True,
                                       timeout=30)
                    if p.returncode != 0 and not refused_by_schema:
                        fail(f"{path}: accepted by the schemas, refused "
                             f"by {os.path.basename(daemon)} "
                             f"--check-config: "
                             f"{(p.stderr + p.stdout).strip()[:600]}")
        print(f"ok: {n_em} board files of {configs}: no refusal by "
              "nvmed or cable-presenced --check-config that the schemas "
              "do not make")

        # 3. the demo's broken board: both refuse it, naming Polarity
        for path in broken:
            board = load(path)
            if not schemas.board_errors(board):
                fail(f"{path}: the schema accepts the broken board")
            rc, out = daemon_check(cable, board, tmp)
            if rc == 0 or "key 'Polarity'" not in out:
                fail(f"{path}: cable-presenced --check-config: rc {rc}: "
                     f"{out.strip()}")
            else:
                print(f"ok: {os.path.basename(path)} refused by both: "
                      f"{out.splitlines()[0]}")

        # 4. every way to break a record
        check_agreement(
            schemas, cable, "gpio_cable_sensing.json", "GPIOCableSensing",
            {"Name": "cable0", "Type": "GPIOCableSensing",
             "GpioLine": "CABLE0_PRSNT_N", "Polarity": "active_low",
             "PollIntervalMs": 1000, "DebounceMs": 10,
             "CableTypeDescription": "CDFP x16", "Length": 0.5,
             "Expected": True}, tmp)
        check_agreement(
            schemas, nvmed, "nvmed.json", "NVME1000",
            {"Name": "NVMe 0 Temp", "Type": "NVME1000", "Bus": 3,
             "Address": "0x1d", "Protocol": "mi_i2c", "PEC": "Required",
             "PowerState": "Always", "PollIntervalMs": 1000,
             "UnavailableAfterFailures": 5,
             "Thresholds": [{"Direction": "greater than",
                             "Name": "upper critical", "Label": "x",
                             "Severity": 1, "Value": 75,
                             "Hysteresis": 2}]}, tmp)

    if failures:
        print(f"{len(failures)} failures")
        return 1
    print(f"all good ({checked} refusals compared)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

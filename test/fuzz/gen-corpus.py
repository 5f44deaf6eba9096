#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the seed corpus of the fuzz targets (test/fuzz/corpus/<target>/).

The seeds are the project's own test data in each target's input format:
the demo board files and the JSON of the unit tests, the replies the
NVMe-MI emulator (test/sim/mctp) sends, phosphor-nvme files of the unit
tests, the cable names of the SDR tests. Deterministic: run it again
after changing a target's input format and commit what changes.

Usage: test/fuzz/gen-corpus.py [CORPUS_DIR]
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fuzz-json-records: board files, bare arrays, the unit tests' JSON ----

BOARDS = os.path.join(ROOT, "test/demo/boards")
for f in sorted(os.listdir(BOARDS)):
    with open(os.path.join(BOARDS, f), "rb") as board:
        put("fuzz-json-records", f, board.read())

CABLE = ('{"Name": "cdfp0", "Type": "GPIOCableSensing", '
         '"GpioLine": "CDFP0_PRSNT_N", "Polarity": "active_low", '
         '"CableTypeDescription": "CDFP x16", "Length": 0.5}')
JSON = {
    "readme-cable.json": "[" + CABLE + "]",
    "nvme-thresholds.json":
        '{"Name": "Drives", "Type": "Board", "Exposes": [{"Name": "NVMe 0",'
        ' "Type": "NVME1000", "Bus": 3, "Address": "0x6a", "PEC": '
        '"Required", "PowerState": "On", "PollIntervalMs": 500, '
        '"UnavailableAfterFailures": 5, "Thresholds": [{"Direction": '
        '"greater than", "Name": "upper critical", "Severity": 1, "Value": '
        '75}, {"Direction": "less than", "Severity": 0, "Value": -5.5, '
        '"Hysteresis": 2}]}]}',
    "nvmemi-bare.json":
        '[{"Name": "nv0", "Type": "NVMeMI", "Network": 1, "EID": 9}, '
        '{"Name": "t0", "Type": "MCTPI2CTarget"}]',
    # the unit tests' awkward shapes (test/emconfig/test-json.c)
    "shapes.json":
        '[{"Name": "Cables", "Exposes": [{"Type": "GPIOCableSensing", '
        '"Name": "c12", "GpioLine": "L12", "Polarity": "active_high", '
        '"Length": 2.5, "Tags": [1, -2, 1.5, "x", true], "Extra": {"a": '
        '{"b": 1}}, "Big": 18446744073709551615, "Neg": -5, "Nul": '
        '"a\\u0000b"}, {"Type": "GPIOCableSensing", "Name": "c13", '
        '"GpioLine": "L", "Polarity": "active_low", "Length": [1, {"a": '
        '1}]}, {"Name": "c2", "GpioLine": "L2"}, {"Type": "Unknown", '
        '"Name": "u"}, 5, null]}]',
    "duplicates.json":
        '{"Name": "Cables", "Type": "Board", "Exposes": [{"Type": '
        '"GPIOCableSensing", "Name": "a", "GpioLine": "L0", "Polarity": '
        '"active_low"}, {"Type": "GPIOCableSensing", "Name": "b", '
        '"GpioLine": "L1", "Polarity": "active_low"}, {"Type": '
        '"GPIOCableSensing", "Name": "a", "GpioLine": "L2", "Polarity": '
        '"active_low"}, {"Type": "GPIOCableSensing", "Name": "Cable 1", '
        '"GpioLine": "L3", "Polarity": "active_low"}, {"Type": '
        '"GPIOCableSensing", "Name": "Cable-1", "GpioLine": "L4", '
        '"Polarity": "active_low"}, {"Type": "NVME1000", "Name": "n", '
        '"Bus": 1}]}',
    # names that start with no letter or digit: escaped as "_XX"
    "name-leading.json":
        '{"Name": "-rear board", "Type": "Board", "Exposes": [{"Type": '
        '"GPIOCableSensing", "Name": "-rear cable", "GpioLine": "L0", '
        '"Polarity": "active_low"}, {"Type": "GPIOCableSensing", "Name": '
        '"_rear cable", "GpioLine": "L1", "Polarity": "active_low"}, '
        '{"Type": "GPIOCableSensing", "Name": "_5frear_5fcable", '
        '"GpioLine": "L2", "Polarity": "active_low"}, {"Type": '
        '"NVME1000", "Name": " front NVMe", "Bus": 1}, {"Type": '
        '"NVME1000", "Name": "_", "Bus": 2}]}',
    # templates entity-manager fills in; alternative boards of one Name
    "templates.json":
        '[{"Name": "MB $index", "Probe": "A", "Exposes": [{"Type": '
        '"NVME1000", "Name": "nvme $index", "Bus": "$bus", "Address": '
        '"$BUS % 100 * 8 + 48 + 1", "Thresholds": [{"Direction": '
        '"greater than", "Severity": 0, "Value": "$warn"}]}]}, {"Name": '
        '"MB $index", "Probe": "B", "Exposes": [{"Type": "NVME1000", '
        '"Name": "nvme $index", "Bus": 5}, {"Type": "GPIOCableSensing", '
        '"Name": "c", "GpioLine": "L", "Polarity": "$pol"}]}]',
    "utf8.json": '[{"Name": "nv\\u00e9", "Type": "NVMeMI", "Network": 1, '
                 '"EID": 9, "Label": "caf\u00e9"}]',
    "infinity.json": '[{"Name": "n", "Type": "NVME1000", "Bus": 1, '
                     '"Thresholds": [{"Direction": "greater than", '
                     '"Severity": 1, "Value": Infinity}]}]',
    "errors-exposes.json": '{"Name": "b", "Exposes": {}}',
    "errors-truncated.json": '{"Exposes": [',
}
for name, text in JSON.items():
    put("fuzz-json-records", name, text)
# bytes no D-Bus string can carry (the defect of issue 13)
put("fuzz-json-records", "not-utf8.json",
    b'[{"Name":"nv\xffbad","Type":"NVMeMI","Network":1,"EID":9},'
    b'{"Name":"utf\xff\xfebad","Type":"GPIOCableSensing","GpioLine":"L",'
    b'"Polarity":"active_low"}]')

# ---- fuzz-pnvme: phosphor-nvme's nvme_config.json -------------------------

PNVME = {
    "readme.json":
        '{"config": [{"NVMeDriveIndex": 0, "NVMeDriveBusID": 6, '
        '"NVMeDriveFaultLEDGroupPath": "/xyz/openbmc_project/led/groups/'
        'led_u2_0_fault", "NVMeDriveLocateLEDGroupPath": "/xyz/'
        'openbmc_project/led/groups/led_u2_0_locate", '
        '"NVMeDriveLocateLEDControllerBusName": "xyz.openbmc_project.'
        'LED.Controller.led_u2_0_locate", "NVMeDrivePresentPin": 148, '
        '"NVMeDrivePwrGoodPin": 161}], "threshold": [{"criticalHigh": 70, '
        '"criticalLow": 0, "maxValue": 127, "minValue": 0, '
        '"warningHigh": 65, "warningLow": 5}]}',
    "test-basic-mixed.json":
        '{"config": [{"NVMeDriveIndex": 0, "NVMeDriveBusID": 6, '
        '"NVMeDrivePresentPin": 148}, {"NvmeDriveIndex": 3, '
        '"NVMeDriveBusID": 7}, {"NVMeDriveIndex": 4}, {"NVMeDriveIndex": '
        '0, "NVMeDriveBusID": 8}, {"NVMeDriveIndex": "x", '
        '"NVMeDriveBusID": 9}, 5], "threshold": [{"criticalHigh": 70, '
        '"criticalLow": 0, "maxValue": 127, "minValue": 0}], '
        '"monitorIntervalSec": 2}',
    "infinity.json":
        '{"config": [{"NVMeDriveIndex": 0, "NVMeDriveBusID": 6}], '
        '"threshold": [{"criticalHigh": Infinity, "warningHigh": 5000, '
        '"criticalLow": NaN, "warningLow": -Infinity}]}',
    "limits.json":
        '{"config": [], "threshold": [{"criticalHigh": 1000, '
        '"criticalLow": -273, "warningHigh": 1000.0001, "warningLow": '
        '"5"}]}',
    "last-wins.json":
        '{"config": [{"NVMeDriveIndex": 255, "NVMeDriveBusID": 255}], '
        '"threshold": [{"criticalHigh": 80}, 7, {"warningHigh": 60}], '
        '"monitorIntervalSec": 3600}',
    "not-config.json": '[1]',
}
for name, text in PNVME.items():
    put("fuzz-pnvme", name, text)


# ---- fuzz-nvme-mi: replies of the emulator's drive model ------------------

def ctemp(t):
    return t & 0xff if -60 <= t <= 127 else (0x7f if t > 127 else 0xc4)


def health(nss, cw, temp, used):
    # NVM Subsystem Health Data Structure, as test/sim/mctp/emu-mi.c
    return bytes([nss, ~cw & 0xff, temp, used, 0, 0, 0, 0])


def pad(s, n):
    return s.encode().ljust(n, b" ")


def identify(serial, model, fw, vid=0x1b96, wctemp=70, cctemp=80,
             cap=960197124096, big=False):
    b = bytearray(512)
    struct.pack_into("<HH", b, 0, vid, vid)
    b[4:24] = pad(serial, 20)
    b[24:64] = pad(model, 40)
    b[64:72] = pad(fw, 8)
    struct.pack_into("<HH", b, 266, wctemp + 273 if wctemp else 0,
                     cctemp + 273 if cctemp else 0)
    struct.pack_into("<Q", b, 280, cap)
    if big:
        b[295] = 1
    return bytes(b)


def smart(cw, temp_k, spare, used):
    b = bytearray(512)
    b[0] = cw
    struct.pack_into("<H", b, 1, temp_k)
    b[3] = spare
    b[4] = 10
    b[5] = used
    return bytes(b)


def subsys(major, minor):
    b = bytearray(32)
    b[0], b[1], b[2] = 0, major, minor
    return bytes(b)


MI = [
    ("health-ok", 1, 2, health(0x20, 0, ctemp(35), 3)),
    ("health-mi2-ready", 2, 0, health(0x03, 0, ctemp(40), 0)),
    ("health-mi2-not-ready", 2, 0, health(0x01, 0, 0x80, 0)),
    ("health-hot", 1, 2, health(0x20, 0x02, ctemp(127), 101)),
    ("health-cold", 1, 1, health(0x20, 0, ctemp(-60), 255)),
    ("health-sensor-failure", 1, 2, health(0x20, 0x1f, 0x81, 0)),
    ("health-reserved", 1, 2, health(0x20, 0, 0x90, 0)),
    ("subsys-1.2", 1, 2, subsys(1, 2)),
    ("subsys-pre-1.1", 0, 0, subsys(0, 0)),
    ("identify-emu", 1, 2, identify("EMU00009001", "nvme-mi-emu drive",
                                    "1.0")),
    ("identify-odd", 1, 2, identify("SN\x01\x7f\xff bad", "", "F",
                                    vid=0x144d, wctemp=0, cctemp=0,
                                    big=True)),
    ("identify-short", 1, 2, identify("x", "y", "z")[:296]),
    ("smart-ok", 1, 2, smart(0, 308, 100, 3)),
    ("smart-warn", 1, 2, smart(0x1f, 0, 5, 200)),
]
for name, major, minor, reply in MI:
    put("fuzz-nvme-mi", name, bytes([major, minor]) + reply)


# ---- fuzz-basic: SMBus basic management command replies on the wire -------

def crc8(data):
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xff if crc & 0x80 else \
                (crc << 1) & 0xff
    return crc


def wire(cmd, block, pec, addr=0x6a):
    data = bytes([len(block)]) + block
    if pec:
        data += bytes([crc8(bytes([addr << 1, cmd, addr << 1 | 1]) + data)])
    return data


STATUS_OK = bytes([0x20, 0xff, 35, 3, 0, 0])
STATUS = [
    ("status-ok", STATUS_OK),
    ("status-not-ready", bytes([0x60, 0xff, 35, 0, 0, 0])),
    ("status-no-data", bytes([0x20, 0xfe, 0x80, 0, 0, 0])),
    ("status-short", bytes([0x20, 0xff, 35])),
    # what the emulator sends for command 0: 8 bytes
    ("status-emu", bytes([0x20, 0xff, 40, 1, 0, 0, 0, 0])),
]
VPD = [
    ("vpd-emu", bytes([0x1b, 0x96]) + pad("EMU00009001", 20)),
    ("vpd-odd", bytes([0x14, 0x4d]) + b"S\x00N\xff" + b"\x00" * 16),
]
for buf_len in (32, 8):
    size_bits = (buf_len - 1) << 3
    for name, block in STATUS:
        for pec in (0, 1):
            put("fuzz-basic", f"{name}-pec{pec}-buf{buf_len}",
                bytes([size_bits | pec]) + wire(0, block, pec))
    for name, block in VPD:
        for pec in (0, 1):
            put("fuzz-basic", f"{name}-pec{pec}-buf{buf_len}",
                bytes([size_bits | 2 | pec]) + wire(8, block, pec))
good = wire(0, STATUS_OK, 1)
put("fuzz-basic", "bad-pec", bytes([31 << 3 | 1]) +
    good[:-1] + bytes([good[-1] ^ 1]))
put("fuzz-basic", "count-0", bytes([31 << 3]) + b"\x00")
put("fuzz-basic", "count-40-careless", bytes([31 << 3 | 4]) +
    bytes([40]) + bytes(range(40)))


# ---- fuzz-threshold: thresholds, then readings -----------------------------

def val_small(x):  # read_value mode 1: x / 2, x in -128..127
    return bytes([1, int(x * 2) & 0xff])


NAN = bytes([0])


def hyst(h):  # read_hysteresis: h / 4
    return bytes([int(h * 4)])


def reading(x):
    return bytes([0]) + val_small(x)


TH = bytearray()
# warning high 50 (hyst 2), warning low 5 (hyst 1), critical high 60,
# critical low unset: the values of the NVME1000 tests
TH += val_small(50) + hyst(2) + val_small(5) + hyst(1)
TH += val_small(60) + hyst(1) + NAN + hyst(0)
for x in (35, 49.5, 50, 49, 48, 47.5, 60, 59.5, 58.5, 5, 6, 6.5, -10):
    TH += reading(x)
TH += bytes([0]) + NAN  # a failed read
TH += bytes([5])  # clear (power off)
TH += reading(55)
TH += bytes([6, 0]) + val_small(40) + hyst(0)  # Set warning high 40
TH += reading(41) + reading(39.5)
TH += bytes([7, 0, 1]) + bytes([7, 1, 0]) + bytes([7, 2, 3]) + \
    bytes([7, 4, 1, 4]) + b"less"
put("fuzz-threshold", "nvme1000", bytes(TH))
put("fuzz-threshold", "identify-defaults",
    val_small(63) + hyst(1) + NAN + hyst(0) + val_small(63.5) + hyst(1) +
    NAN + hyst(0) + reading(62) + reading(63) + reading(62.5) +
    reading(61.5))


# ---- fuzz-sdr: the cable names of the SDR tests ---------------------------

def raw_name(s, present=True):  # mode 0: bytes as they are
    b = s.encode()
    return bytes([int(present)]) + bytes([len(b)]) + b


SDR = {
    "readme": ["cdfp0", "cdfp1", "cdfp3", "cdfp2", "osfp"],
    "truncated": ["frontpanelcableA0", "frontpanelcableA1",
                  "frontpanelcableB0", "frontpanelcableB1"],
    "range-named": ["c36", "c37", "c[36-37]"],
    "fifteen": [f"slot{i}" for i in range(15)] + ["slot01", "slot1"],
    "mixed": ["cable", "7", "x0", "", "cable_12", "cable_13",
              "cable_15", "4294967296", "c4294967295", "c4294967296"],
}
for name, cables in SDR.items():
    put("fuzz-sdr", name, b"".join(raw_name(c, i % 3 != 1)
                                   for i, c in enumerate(cables)))


# ---- fuzz-cable-ipmi: cables of the IPMI tests under parents --------------

def ipmi_cable(name, present=True, parent=0):  # flags bit 4: raw bytes
    b = name.encode()
    return bytes([int(present) | parent << 1 | 16, len(b)]) + b


IPMI = {
    "cdfp-two-boards": [ipmi_cable(f"cdfp{i}", i != 2, 1) for i in range(4)]
    + [ipmi_cable(f"cdfp{i}", True, 2) for i in range(2)]
    + [ipmi_cable("osfp", True, 1), ipmi_cable("osfp", False, 2)],
    "split": [ipmi_cable(f"cable{i}", i in (3, 16, 17, 22), 3)
              for i in range(3, 23)],
    "truncated": [ipmi_cable(n, True, p) for p in (0, 1)
                  for n in ("frontpanelcableA0", "frontpanelcableA1")],
    "escaped": [ipmi_cable(n, True, 1) for n in
                ("_5frear_5fcable", "_2drear0", "_2drear1", "_zz", "_41",
                 "_0a", "_5")],
}
for name, cables in IPMI.items():
    # then two bytes of unreadable members for each group
    put("fuzz-cable-ipmi", name,
        b"".join(cables) + b"\xff" + bytes([2, 0] * 8))


# ---- fuzz-gpio-index: chips and lines as the GPIO sim has them -------------

def chip(name=None):
    if name is None:
        return bytes([0])
    b = name.encode()
    return bytes([0x80]) + bytes([len(b)]) + b


def line(c, offset, sel, own=None):  # op 1: add a line
    out = bytes([1, c, offset, sel])
    if own is not None:
        b = own.encode()
        out += bytes([len(b)]) + b
    return out


GPIO = chip("gpiochip0") + chip("gpiochip1")
GPIO += line(0, 0, 1) + line(0, 1, 2) + line(0, 2, 0) + line(0, 3, 7)
GPIO += line(1, 0, 1) + line(1, 5, 3) + line(1, 4, 3)
GPIO += line(1, 6, 6, "CDFP0_PRSNT_N")
GPIO += bytes([3, 18])  # a chip left out: -19, -ENODEV
GPIO += bytes([0xff]) + bytes([13]) + b"CDFP0_PRSNT_N" + bytes([4]) + b"none"
put("fuzz-gpio-index", "two-chips", GPIO)
put("fuzz-gpio-index", "one-chip-dups",
    chip() + line(0, 9, 3) + line(0, 2, 3) + line(0, 2, 3) + bytes([0xff]))


# ---- fuzz-em-objects: GetManagedObjects replies ---------------------------

def em_obj(path_sel, seg, ifaces):
    out = bytes([len(ifaces) - 1 if ifaces else 0, path_sel])
    if path_sel % 16 != 15:  # "/" has no segment
        out += bytes([len(seg)]) + seg.encode()
    for iface_sel, props in ifaces:
        out += bytes([len(props), iface_sel])
        for key_sel, sig_sel, payload in props:
            out += bytes([key_sel, sig_sel]) + payload
    return out


def s_(text):
    return bytes([len(text)]) + text.encode()


# sigs[] of the target: b y n q i u x t d s o g ab ay an aq ai au ax at ad
# as ao ag v av aas (ii) a{ss}; iface_names[] and keys[] likewise.
NVME = em_obj(0, "NVMe_0_Temp", [
    (0, [(0, 9, s_("NVMe 0 Temp")), (1, 1, bytes([3])),
         (2, 9, s_("0x6a"))]),
    (1, [(4, 9, s_("greater than")), (5, 1, bytes([1])),
         (3, 8, bytes([0x80]) + struct.pack("<d", 75.0))]),
    (2, [(4, 9, s_("less than")), (5, 7, bytes([0])),
         (3, 4, bytes([5]))]),
])
CABLES = em_obj(1, "cdfp0", [
    (4, [(0, 9, s_("cdfp0")), (7, 9, s_("CDFP0_PRSNT_N")),
         (6, 9, s_("active_low"))]),
    (11, [(0, 9, s_("item"))]),
])
put("fuzz-em-objects", "nvme1000", NVME)
put("fuzz-em-objects", "cable-and-nvme", CABLES + NVME)
ARRAY = bytes([2, 1, 2])  # two small numbers
put("fuzz-em-objects", "types", em_obj(0, "all", [
    (7, [(k, k, bytes([k])) for k in range(8)]),  # b y n q i u x t
    (5, [(0, 8, bytes([0x80]) + struct.pack("<d", -0.5)),  # d
         (1, 9, s_("text")), (2, 10, bytes([1])), (3, 11, bytes([2])),
         (4, 12, ARRAY), (5, 13, ARRAY), (6, 14, ARRAY), (7, 15, ARRAY)]),
    (6, [(0, 16, ARRAY), (1, 17, ARRAY), (2, 18, ARRAY), (3, 19, ARRAY),
         (4, 20, bytes([1, 0x80]) + struct.pack("<d", 2.5)),
         (5, 21, bytes([2]) + s_("a") + s_("b")),
         (6, 22, bytes([1, 1])), (7, 23, bytes([1, 0]))]),
    (8, [(0, 24, s_("v")), (1, 25, s_("av")), (2, 26, s_("aas")),
         (3, 27, s_("")), (4, 28, s_("m"))]),
]))
put("fuzz-em-objects", "dotted", em_obj(0x0f, "", [(9, []), (10, []),
                                                   (3, [])]))


# ---- fuzz-reconcile: reads of a board, as the emconfig tests make them -----

def pick(ok):
    """The first byte value ok() accepts (fields share bytes by modulo)."""
    return next(v for v in range(256) if ok(v))


def rec(name, board, type_sel, odd_path=0, name_not_string=0, c=0,
        thresholds=b""):
    a = pick(lambda v: v % 10 == name and (v >> 4) & 1 == board and
             (v >> 5) & 3 == type_sel)
    b = odd_path << 7 | name_not_string << 6
    return bytes([a, b, c]) + thresholds


CABLE_OK = 0x1 | 0 << 2  # GpioLine L1, active_low
CABLE_CHANGED = 0x2 | 0 << 2  # GpioLine L2
CABLE_BAD = 0x1 | 2 << 2  # Polarity "up"
READ1 = [rec(0, 0, 0, c=CABLE_OK), rec(4, 0, 0, c=CABLE_OK),
         rec(7, 0, 1, c=0x12, thresholds=b"\x04")]
READ2 = [rec(0, 0, 0, c=CABLE_OK), rec(4, 0, 0, c=CABLE_CHANGED),
         rec(1, 0, 0, c=CABLE_OK)]
READ3 = [rec(4, 0, 0, c=CABLE_BAD), rec(2, 1, 0, c=CABLE_OK)]


def read(records, twice=True, free_at=None):
    op = pick(lambda v: v % 13 == len(records) and
              bool(v & 0x80) == twice and bool(v & 0x40) == bool(free_at))
    out = bytes([op])
    if free_at:
        out += bytes([free_at - 1])
    return out + b"".join(records)


put("fuzz-reconcile", "lifecycle",
    read(READ1) + read(READ2) + read(READ3) + read([]))
put("fuzz-reconcile", "escaped-names",
    read([rec(0, 0, 0, c=CABLE_OK), rec(1, 0, 0, c=CABLE_OK),
          rec(2, 0, 0, c=CABLE_OK), rec(3, 1, 0, c=CABLE_OK)]) +
    read([rec(1, 0, 0, c=CABLE_OK), rec(2, 0, 0, c=CABLE_OK)]))
put("fuzz-reconcile", "typeless-unknown",
    read([rec(5, 0, 3), rec(6, 1, 2), rec(9, 0, 0, c=CABLE_OK),
          rec(8, 0, 1, c=0x01)]))
put("fuzz-reconcile", "free-in-handler",
    read(READ1, twice=False) + read(READ2, free_at=2) + read(READ3))


# ---- fuzz-drive-reconcile: desired sets of nvmed's drives -----------------
# origins and names as indexed in the target
RECORD, ENDPOINT, JSON, BASIC, PNVME = range(5)
NVME0, NVME_0, NVME_DASH0, NVME1, NVME1_CAPS, E = range(6)


def want(origin, name, path, poll=0, th=0, dev=0, addr=0):
    """One wanted drive: dev is the bus (basic, mi_i2c) or endpoint/EID
    index; poll the PollIntervalMs index; th 0 none, 1 or 2 a set."""
    a = origin + 5 * name
    b = pick(lambda v: v % 5 == path and (v >> 4) & 3 == poll and
             not v & 0xc8)
    c = (1 if th else 0) | ((th - 1) << 1 if th else 0) | dev << 2 | \
        addr << 4
    return bytes([a, b, c])


def round_(wants, partial=False, eids=()):
    """A round, then mctpd's replies: one per mi_i2c drive without an
    EID, index into 9, 10, 11 (None: no reply)."""
    op = pick(lambda v: v % 13 == len(wants) and bool(v & 0x80) == partial)
    out = bytes([op]) + b"".join(wants)
    for e in eids:
        out += b"\x00" if e is None else bytes([1, e])
    return out


SET1 = [want(BASIC, NVME0, 0), want(RECORD, NVME1, 1, dev=1),
        want(JSON, NVME1_CAPS, 2, dev=1), want(ENDPOINT, E, 4, dev=0)]
SET2 = [want(BASIC, NVME0, 0, poll=2, th=1), want(RECORD, NVME1, 1, dev=2),
        want(JSON, NVME1_CAPS, 2, dev=1), want(ENDPOINT, E, 4, dev=0)]
put("fuzz-drive-reconcile", "lifecycle",
    round_(SET1, eids=[2]) + round_(SET2, eids=[2]) + round_([]))
put("fuzz-drive-reconcile", "record-over-endpoint",
    round_([want(ENDPOINT, E, 4, dev=0)]) +
    round_([want(ENDPOINT, E, 4, dev=0), want(RECORD, NVME1, 1)],
           eids=[0]) +
    round_([want(ENDPOINT, E, 4, dev=0), want(RECORD, NVME1, 1)],
           partial=True) +
    round_([want(ENDPOINT, E, 1, dev=1), want(RECORD, NVME1, 1)]))
put("fuzz-drive-reconcile", "devices-and-names",
    round_([want(BASIC, NVME0, 0, dev=2), want(BASIC, NVME_0, 1, dev=0),
            want(PNVME, NVME1, 2, dev=0), want(BASIC, NVME_DASH0, 3, dev=1),
            want(ENDPOINT, NVME1_CAPS, 4, dev=1)]) +
    round_([want(BASIC, NVME_0, 1, dev=0), want(BASIC, NVME0, 1, dev=1),
            want(ENDPOINT, NVME1_CAPS, 4, dev=1)]))

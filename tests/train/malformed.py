#!/usr/bin/env python3
"""Writes a corpus of malformed and hostile files for itwin's robustness tests.

    malformed.py OUT_DIR

OUT_DIR/weights/*.pt   state dicts for an mlp 16 -> [32] -> 4 (names as itwin's mlp),
                       each broken in one way (made with Debian's python3-torch)
OUT_DIR/data/*         IDX, NPY, NPZ and CSV files, each broken in one way
Every file must give a clear error (exit 1 or 2) naming it, never a crash.
"""
import io
import os
import struct
import sys
import zipfile
import zlib

import numpy as np
import torch


def mlp_state():
    torch.manual_seed(0)
    return {
        "net.0.weight": torch.randn(32, 16),
        "net.0.bias": torch.randn(32),
        "net.2.weight": torch.randn(4, 32),
        "net.2.bias": torch.randn(4),
    }


def legacy_bytes(obj):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    return buf.getvalue()


def zip_bytes(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def weights(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, data: open(os.path.join(out, name), "wb").write(data)
    # The last storage of a legacy file is [numel: int64][numel * 4 bytes]: keep one element.
    big = {"net.0.weight": torch.randn(2048, 1024)}
    raw = legacy_bytes(big)
    numel = 2048 * 1024
    head = raw[: len(raw) - numel * 4 - 8]
    w("legacy_short_storage.pt", head + struct.pack("<q", 1) + raw[len(raw) - numel * 4 : len(raw) - numel * 4 + 4])
    # The same in the zip format (torch.save's default): the data record cut to 4 bytes.
    src = zipfile.ZipFile(io.BytesIO(zip_bytes(mlp_state())))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("/data/0"):
                data = data[:4]
            dst.writestr(info, data)
    w("zip_short_storage.pt", buf.getvalue())
    state = mlp_state()
    state["net.0.bias"] = "not a tensor"
    w("string_entry.pt", zip_bytes(state))
    w("not_a_dict.pt", zip_bytes([torch.zeros(2)]))
    w("int_keys.pt", zip_bytes({1: torch.zeros(2)}))
    state = mlp_state()
    state["net.0.weight"] = torch.zeros(32, 16, dtype=torch.int64)
    w("int_weights.pt", zip_bytes(state))
    good = zip_bytes(mlp_state())
    w("truncated.pt", good[: len(good) // 2])
    w("garbage.pt", bytes(range(256)) * 16)
    w("empty.pt", b"")


def data(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, b: open(os.path.join(out, name), "wb").write(b)
    # IDX: magic 0 0 type dims, then big-endian uint32 sizes, then data.
    w("idx_truncated", bytes([0, 0, 8, 3]) + struct.pack(">III", 100, 28, 28) + b"\0" * 10)
    w("idx_huge_dims", bytes([0, 0, 8, 3]) + struct.pack(">III", 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + b"\0" * 10)
    w("idx_bad_magic", b"\x12\x34\x08\x01" + struct.pack(">I", 4) + b"\0" * 4)
    w("idx_bad_type", bytes([0, 0, 0x42, 1]) + struct.pack(">I", 4) + b"\0" * 4)
    w("idx_no_dims", bytes([0, 0, 8, 0]))
    w("idx_bad_gzip.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 40)

    def npy(header, body=b""):
        h = header.encode("latin1")
        pad = 64 - (10 + len(h) + 1) % 64
        h = h + b" " * pad + b"\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + body

    w("npy_truncated.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 16), }", b"\0" * 64))
    w("npy_huge_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999999, 9999999999999), }"))
    w("npy_negative.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-5, 16), }"))
    w("npy_text_shape.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (abc, 16), }"))
    w("npy_complex.npy", npy("{'descr': '<c8', 'fortran_order': False, 'shape': (4,), }", b"\0" * 32))
    w("npy_bad_version.npy", b"\x93NUMPY\x09\x00" + b"\0" * 40)
    w("npy_bad_magic.npy", b"NOTNUMPY" + b"\0" * 40)
    # NPZ: a 4 GiB member declared in a small deflated zip (a "zip bomb" header).
    member = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", b"\0" * 16)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = comp.compress(member) + comp.flush()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.npy", member)
        z.writestr("y.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", b"\0" * 32))
    blob = bytearray(buf.getvalue())
    cd = blob.find(b"PK\x01\x02")  # first central-directory record: x.npy
    struct.pack_into("<I", blob, cd + 24, 0xFFFFFFF0)  # uncompressed size: ~4 GiB
    w("npz_bomb.npz", bytes(blob))
    w("npz_truncated.npz", buf.getvalue()[: len(buf.getvalue()) // 2])
    w("npz_not_zip.npz", b"PK\x03\x04" + b"\0" * 100)
    # CSV
    w("csv_empty.csv", b"")
    w("csv_header_only.csv", b"a,b,label\n")
    w("csv_ragged.csv", b"a,b,label\n1,2,0\n1,2\n")
    w("csv_text.csv", b"a,b,label\n1,x,0\n")
    w("csv_huge_label.csv", b"a,b,label\n" + b"".join(b"%d,%d,%d\n" % (i, i, i % 2) for i in range(20)) + b"1,2,1000000000000\n")
    w("csv_binary.csv", bytes(range(256)))


if __name__ == "__main__":
    out = sys.argv[1]
    weights(os.path.join(out, "weights"))
    data(os.path.join(out, "data"))

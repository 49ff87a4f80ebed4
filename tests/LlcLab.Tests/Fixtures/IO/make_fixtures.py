# Generates the .npy and .safetensors fixtures in this folder.
# Run from this folder with Debian's python3 + numpy 1.24.2 (apt-get install python3-numpy):
#     /usr/bin/python3 make_fixtures.py
# The safetensors package is not installed, so the format is written by hand (spec:
# github.com/huggingface/safetensors): u64 LE header length, compact JSON header padded with
# spaces to a multiple of 8, then raw little-endian C-order bytes. Tensors are ordered by
# element size (descending) then name, "__metadata__" first.
import json, struct
import numpy as np
from numpy.lib import format as npf

# ---- .npy (numpy's own writer) ----
np.save("f32_2x3.npy", np.array([[0.5, -1.25, 3.0], [1e-3, 2.5e6, -0.0]], dtype=np.float32))
np.save("f64_vec5.npy", np.array([0.1, -2.5, 1e-300, 123456789.125, np.pi], dtype=np.float64))
np.save("i64_3x2x2.npy", (np.arange(12, dtype=np.int64).reshape(3, 2, 2) - 6) * 1_000_000_007)
np.save("i32_4.npy", np.array([-2147483648, -1, 0, 2147483647], dtype=np.int32))
np.save("u8_2x2.npy", np.array([[0, 1], [128, 255]], dtype=np.uint8))
np.save("bool_5.npy", np.array([True, False, False, True, True]))
np.save("f64_scalar.npy", np.array(2.75, dtype=np.float64))
np.save("f32_empty_0x4.npy", np.zeros((0, 4), dtype=np.float32))
with open("f32_v2_2x3.npy", "wb") as f:
    npf.write_array(f, np.arange(6, dtype=np.float32).reshape(2, 3), version=(2, 0))
with open("f32_v3_2x3.npy", "wb") as f:
    npf.write_array(f, np.arange(6, dtype=np.float32).reshape(2, 3), version=(3, 0))
np.save("f64_bigendian_3.npy", np.array([1.5, -2.0, 1e10], dtype=">f8"))
np.save("f32_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))

# ---- .safetensors (by hand) ----
def bf16_bytes(a):
    # bfloat16 = upper 16 bits of float32 (values chosen to be exact in bf16)
    return (a.astype(np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()

def save_safetensors(path, tensors, metadata=None):
    # tensors: name -> (dtype string, shape, raw bytes, element size)
    order = sorted(tensors.items(), key=lambda kv: (-kv[1][3], kv[0]))
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dt, shape, raw, _) in order:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

def t(a, dt):
    assert a.flags.c_contiguous  # (np.ascontiguousarray would turn a 0-d array into 1-d)
    return (dt, a.shape, a.astype(a.dtype.newbyteorder("<")).tobytes(), a.dtype.itemsize)

# An nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)) state dict with fixed values.
w0 = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 8
b0 = np.array([0.1, -0.2, 0.3], dtype=np.float32)
w2 = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 4
b2 = np.array([0.05, -0.05], dtype=np.float32)
save_safetensors("mlp_4_3_2.safetensors",
                 {"0.weight": t(w0, "F32"), "0.bias": t(b0, "F32"), "2.weight": t(w2, "F32"), "2.bias": t(b2, "F32")},
                 {"format": "pt", "spec": "mlp:4-3-2:relu"})

bf = np.array([1.0, -2.5, 0.15625, 32768.0], dtype=np.float32)
save_safetensors("dtypes.safetensors", {
    "f64": t(np.array([[0.1, -2.5], [1e-300, 7.0]], dtype=np.float64), "F64"),
    "i64": t(np.array([-(2**62), 0, 2**62], dtype=np.int64), "I64"),
    "i32": t(np.array([-7, 7], dtype=np.int32), "I32"),
    "u8": t(np.array([0, 200, 255], dtype=np.uint8), "U8"),
    "bool": t(np.array([True, False, True]), "BOOL"),
    "f16": t(np.array([0.5, -1.5, 65504.0], dtype=np.float16), "F16"),
    "bf16": ("BF16", bf.shape, bf16_bytes(bf), 2),
    "scalar": t(np.array(3.5, dtype=np.float32), "F32"),
})
print("fixtures written")

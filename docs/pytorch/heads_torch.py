"""Heads models in PyTorch: read a Heads .safetensors file (numpy only: no safetensors package is needed) into torch.nn
modules and predict exactly as Heads does.

    import heads_torch
    model = heads_torch.load("weights.safetensors")       # a FaceNet1/3, FaceNetPca or HeadsNet file
    volumes = model.predict_faces(faces_uint8)             # FaceNet*: [N, 1024] uint8 32x32 photos -> [N, 32768] floats
    heads_torch.to_bytes(volumes)                          #   the served bytes (below 0.003 -> 0, x255, rounded)
    positions, colors = model.sample(seed=0.25, count=200_000)   # HeadsNet: [count, 3] floats, [count, 3] uint8

A file holds the tensors (layers.{l}.weight [out, in] and layers.{l}.bias, plus pca.basis, pca.mean, input.mean and
input.scale for FaceNetPca) and, in its metadata under "heads.manifest", the model's manifest: kind, architecture
(inputs, hiddenLayers, units, outputs, activation) and for HeadsNet the encoding. Tested against Heads' own
predictions to 1e-5 (tests/Heads.Training.Tests/PyTorchRoundTripTests.cs).
"""
import json
import math
import struct
import sys

import numpy as np
import torch

_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    """(tensors: name -> numpy array, metadata: dict) of a .safetensors file."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"]).copy()
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes float32 tensors (name -> array) and string metadata as .safetensors."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array, dtype=np.float32)
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        blobs.append(array.tobytes())
        offset += array.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


_ACTIVATIONS = {
    "selu": torch.nn.SELU, "gelu": torch.nn.GELU, "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "linear": torch.nn.Identity,
}


def dense_network(architecture, tensors):
    """torch.nn.Sequential of Linear layers with the architecture's activation between them (none after the last)."""
    layers = []
    count = architecture["hiddenLayers"] + 1
    for l in range(count):
        weight, bias = tensors[f"layers.{l}.weight"], tensors[f"layers.{l}.bias"]
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight))
            linear.bias.copy_(torch.from_numpy(bias))
        layers.append(linear)
        if l < count - 1:
            layers.append(_ACTIVATIONS[str(architecture["activation"]).lower()]())
    return torch.nn.Sequential(*layers).eval()


class HeadsModel:
    def __init__(self, manifest, tensors):
        self.manifest = manifest
        self.kind = manifest["kind"]
        self.network = dense_network(manifest["architecture"], tensors)
        self.extra = {name: torch.from_numpy(tensors[name]) for name in ("pca.basis", "pca.mean", "input.mean", "input.scale") if name in tensors}

    def predict_faces(self, faces):
        """[N, 1024] uint8 faces -> [N, 32768] float volumes, before the served post-processing."""
        x = torch.from_numpy(np.asarray(faces, dtype=np.float32).reshape(-1, 1024) / np.float32(255))
        with torch.no_grad():
            if self.kind == "FaceNetPca":
                x = (x - self.extra["input.mean"]) * self.extra["input.scale"]
                return (self.network(x) @ self.extra["pca.basis"] + self.extra["pca.mean"]).numpy()
            return self.network(x).numpy()

    def sample(self, seed, count):
        """HeadsNet: count points of head <seed> as ([count, 3] float32 positions, [count, 3] uint8 colours)."""
        encoding = self.manifest.get("encoding") or {"kind": "Original"}
        with torch.no_grad():
            if encoding.get("kind", "SphereFourier") == "Original":
                index = torch.arange(count, dtype=torch.float32) / count
                features = torch.stack([torch.full((count,), seed, dtype=torch.float32), index], 1)
            else:
                # Directions on a Fibonacci sphere in float64, then the direction's and the seed's Fourier features.
                i = torch.arange(count, dtype=torch.float64)
                z = 1 - (i + 0.5) * 2 / count
                radius = (1 - z * z).clamp_min(0).sqrt()
                phi = i * (math.pi * (3 - math.sqrt(5)))
                d = torch.stack([radius * phi.cos(), radius * phi.sin(), z], 1).to(torch.float32)
                parts = [d]
                d64 = d.to(torch.float64)
                for k in range(encoding.get("directionOctaves", 5)):
                    angle = d64 * math.ldexp(math.pi, k)
                    parts += [angle.sin().to(torch.float32), angle.cos().to(torch.float32)]
                s = torch.full((count, 1), np.float32(seed), dtype=torch.float32).to(torch.float64)
                for k in range(encoding.get("seedOctaves", 8)):
                    angle = s * math.ldexp(2 * math.pi, k)
                    parts += [angle.sin().to(torch.float32), angle.cos().to(torch.float32)]
                features = torch.cat(parts, 1)
            out = self.network(features)
        colors = (out[:, 3:6] * 255).round().clamp(0, 255).to(torch.uint8)
        return out[:, 0:3].contiguous().numpy(), colors.numpy()


def load(path):
    tensors, metadata = read_safetensors(path)
    return HeadsModel(json.loads(metadata["heads.manifest"]), tensors)


def to_bytes(volumes):
    """The served bytes of float volumes: values below 0.003 become 0, then x255, rounded, clamped to 0..255."""
    v = torch.from_numpy(np.asarray(volumes, dtype=np.float32))
    v = v.masked_fill(v < 0.003, 0)
    return (v * 255).round().clamp(0, 255).to(torch.uint8).numpy()


def _check(folder):
    """The round-trip test's side: predictions of the three models in <folder> written as raw little-endian files."""
    faces = np.fromfile(f"{folder}/faces.u8", dtype=np.uint8).reshape(-1, 1024)
    for name in ("facenet3", "facenetpca"):
        load(f"{folder}/{name}.safetensors").predict_faces(faces).astype("<f4").tofile(f"{folder}/{name}.torch.f32")
    with open(f"{folder}/headsnet.json") as f:
        request = json.load(f)
    positions, colors = load(f"{folder}/headsnet.safetensors").sample(request["seed"], request["count"])
    positions.astype("<f4").tofile(f"{folder}/headsnet.positions.torch.f32")
    colors.tofile(f"{folder}/headsnet.colors.torch.u8")
    print(json.dumps({"torch": torch.__version__, "ok": True}))


if __name__ == "__main__":
    _check(sys.argv[1])

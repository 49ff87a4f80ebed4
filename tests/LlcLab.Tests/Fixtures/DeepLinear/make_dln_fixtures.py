#!/usr/bin/python3
"""Deep linear networks trained to a minimum in PyTorch, saved as safetensors for the estimator's accuracy test.

Regenerate (Debian: apt-get install python3-torch; torch 1.13 here, no safetensors package needed):
    /usr/bin/python3 tests/LlcLab.Tests/Fixtures/DeepLinear/make_dln_fixtures.py
It rewrites tests/LlcLab.Tests/Fixtures/DeepLinear/*.safetensors deterministically (fixed seeds, CPU, float64 training).

Each network dln:H0-…-HL (nn.Sequential of bias-free nn.Linear, so the names are 0.weight, 1.weight, …) is trained on
noise-free data y = T·x, x ~ N(0, I_{H0}), n = 10,000, with T a random rank-r teacher [HL, H0], from PyTorch's default
initialisation scaled by 0.1 (the small-initialisation regime in which gradient descent finds the low-rank factors of T),
first with Adam, then with L-BFGS until the gradient norm is below 1e-10. The end-to-end product then equals T to ~1e-8, so
the weights are a global minimum of the population loss and a test may draw fresh x from N(0, I) and set y = T·x.
The metadata carries llclab.spec, the rank, Aoyagi's λ is computed by the test (Sampling/AoyagiFormula), and T itself
(llclab.teacher, JSON rows) plus the training summary.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
N = 10_000
CASES = [  # (widths input→output, teacher rank): 2, 3, 3 and 4 weight matrices
    ([5, 3, 5], 1),
    ([4, 3, 8], 2),
    ([6, 4, 3, 5], 2),
    ([4, 5, 4, 3, 4], 1),
]


def save_safetensors(path, tensors, metadata):
    """The safetensors format: u64 little-endian header length, JSON header (dtype, shape, byte offsets), raw LE data."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)  # align the data to 8 bytes, as the reference writer does
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def train(widths, rank, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(widths[-1], rank, generator=g, dtype=torch.float64)
    b = torch.randn(rank, widths[0], generator=g, dtype=torch.float64)
    teacher = a @ b / (widths[0] ** 0.5)
    x = torch.randn(N, widths[0], generator=g, dtype=torch.float64)
    y = x @ teacher.T
    torch.manual_seed(seed)
    net = torch.nn.Sequential(*[torch.nn.Linear(i, o, bias=False) for i, o in zip(widths[:-1], widths[1:])]).double()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(0.1)

    def loss_fn():
        return ((net(x) - y) ** 2).sum(1).mean()

    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(3000):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    lbfgs = torch.optim.LBFGS(net.parameters(), lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-18,
                              history_size=50, line_search_fn="strong_wolfe")
    for _ in range(20):
        def closure():
            lbfgs.zero_grad()
            l = loss_fn()
            l.backward()
            return l
        lbfgs.step(closure)
        gn = torch.sqrt(sum((p.grad ** 2).sum() for p in net.parameters())).item()
        if gn < 1e-10:
            break
    loss = loss_fn().item()
    with torch.no_grad():
        prod = None
        for m in net:
            prod = m.weight if prod is None else m.weight @ prod
        err = (prod - teacher).abs().max().item()
        svals = [torch.linalg.svdvals(m.weight).tolist() for m in net]
    return net, teacher, loss, gn, err, svals


def main():
    for i, (widths, rank) in enumerate(CASES):
        net, teacher, loss, gn, err, svals = train(widths, rank, seed=100 + i)
        name = f"dln-{'-'.join(map(str, widths))}-r{rank}"
        meta = {
            "format": "pt",
            "llclab.spec": "dln:" + "-".join(map(str, widths)),
            "llclab.rank": str(rank),
            "llclab.teacher": json.dumps(teacher.tolist()),
            "llclab.train": f"torch {torch.__version__}; Adam 3000 steps lr 1e-2 then L-BFGS; init 0.1 x default; "
                            f"n {N}; loss {loss:.3e}; grad norm {gn:.3e}; max |prod - T| {err:.3e}",
        }
        save_safetensors(os.path.join(HERE, name + ".safetensors"), {k: v for k, v in net.state_dict().items()}, meta)
        print(name, meta["llclab.train"], "singular values", [[round(s, 4) for s in sv] for sv in svals])


if __name__ == "__main__":
    main()

"""Minimal PyTorch SGLD loop for `llclab bench sgld` (the devinterp way: a deep copy of the model per chain, chains one after
another, full batch, loss.item() at every draw).

Usage: python3 sgld_reference.py X.npy Y.npy N CHAINS DRAWS W0.npy [W1.npy ...]
X [n, H0], Y [n, HL] float32; the first N rows are used; Wl [H_{l+1}, H_l] are the bias-free layers of a deep linear network
at w*. Settings are llclab's defaults: nβ = N/ln N, ε = 0.05/nβ, γ = 1, no burn-in, loss ½·mean over rows of ‖f(x) − y‖²,
update w ← w − ε/2·(nβ·∇L + γ(w − w*)) + N(0, ε). Prints λ̂ = nβ·(mean draw loss − L(w*)) and the seconds of the loop.
Debian: apt-get install python3-torch python3-numpy.
"""
import copy
import math
import sys
import time

import numpy as np
import torch

t_start = time.perf_counter()
torch.set_num_threads(1)
torch.manual_seed(0)
x_path, y_path, n, chains, draws = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
x = torch.from_numpy(np.load(x_path))[:n]
y = torch.from_numpy(np.load(y_path))[:n]
weights = [torch.from_numpy(np.load(p)) for p in sys.argv[6:]]
model = torch.nn.Sequential(*[torch.nn.Linear(w.shape[1], w.shape[0], bias=False) for w in weights])
with torch.no_grad():
    for layer, w in zip(model, weights):
        layer.weight.copy_(w)

nbeta = n / math.log(n)
eps = 0.05 / nbeta
gamma = 1.0


def loss_fn(m):
    return 0.5 * ((m(x) - y) ** 2).sum(1).mean()


with torch.no_grad():
    init_loss = loss_fn(model).item()
t_loop = time.perf_counter()
losses = []
for c in range(chains):
    m = copy.deepcopy(model)
    w_star = [p.detach().clone() for p in m.parameters()]
    for step in range(draws):
        loss = loss_fn(m)
        m.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p, p0 in zip(m.parameters(), w_star):
                p.add_(-0.5 * eps * (nbeta * p.grad + gamma * (p - p0)) + math.sqrt(eps) * torch.randn_like(p))
        losses.append(loss.item())
loop = time.perf_counter() - t_loop
llc = nbeta * (sum(losses) / len(losses) - init_loss)
print(f"pytorch sgld: lambda_hat {llc:.4f}; loop {loop:.3f} s; total {time.perf_counter() - t_start:.3f} s; "
      f"torch {torch.__version__}, {chains} chains x {draws} draws, n {n}")

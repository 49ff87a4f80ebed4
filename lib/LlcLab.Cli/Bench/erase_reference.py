"""Float64 NumPy reference for `llclab bench erase` (LEACE fit + apply, Belrose et al. 2023, Thm 4.1).

Usage: python3 erase_reference.py X.npy Z.npy OUT.npy
X: float32/float64 [n, d]; Z: integer class labels [n]. Writes the erased X (dtype of X) and prints the seconds taken.
The same algorithm as concept-erasure's LeaceFitter (no shrinkage, no trace constraint), in float64 NumPy:
Sigma = Cov(X), W = pinv(Sigma^1/2) by eigh with torch.linalg.pinv's threshold for the input dtype, U = left singular vectors of
W Cov(X, Z), x' = x - W^+ U U^T W (x - mu). Debian: apt-get install python3-numpy.
"""
import sys
import time

import numpy as np

t0 = time.perf_counter()
x_path, z_path, out_path = sys.argv[1:4]
x_in = np.load(x_path)
x = x_in.astype(np.float64)
labels = np.load(z_path).astype(np.int64)
k = int(labels.max()) + 1
z = (labels == 1).astype(np.float64)[:, None] if k <= 2 else np.eye(k)[labels]
n, d = x.shape
mu = x.mean(axis=0)
xc = x - mu
zc = z - z.mean(axis=0)
sigma = xc.T @ xc / (n - 1)
sigma_xz = xc.T @ zc / (n - 1)
lam, v = np.linalg.eigh(sigma)
# Eigenvalues below d * eps(input dtype) * lam_max count as zero: torch.linalg.pinv's threshold on the input dtype, as
# concept-erasure (statistics in the input dtype) and llclab (LeaceOptions.EigenvalueRelativeTolerance = null) use.
mask = lam > lam[-1] * d * np.finfo(x_in.dtype).eps
lam = np.clip(lam, 0.0, None)
w = (v * np.where(mask, 1.0 / np.sqrt(np.where(mask, lam, 1.0)), 0.0)) @ v.T
w_inv = (v * np.where(mask, np.sqrt(lam), 0.0)) @ v.T
u, s, _ = np.linalg.svd(w @ sigma_xz, full_matrices=False)
u = u[:, s > 1e-8 * s.max()]
left, right = w_inv @ u, u.T @ w
erased = x - (xc @ right.T) @ left.T
np.save(out_path, erased.astype(x_in.dtype))
print(f"{time.perf_counter() - t0:.3f}")

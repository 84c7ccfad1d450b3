"""Keeps z in the cache and recomputes tanh'(z) = 1/cosh²(z); every product is an einsum and the bias gradients are ones @ gradient.
"""
import torch


def forward(x, y, params):
    z = torch.einsum("nd,hd->nh", x, params["W1"]) + params["b1"]
    h = torch.tanh(z)
    pred = torch.einsum("nh,oh->no", h, params["W2"]) + params["b2"]
    loss = torch.mean(torch.square(pred - y))
    return loss, {"x": x, "z": z, "h": h, "err": pred - y, "W2": params["W2"]}


def backward(cache):
    x, z, h, err, W2 = cache["x"], cache["z"], cache["h"], cache["err"], cache["W2"]
    N, O = err.shape
    g = err * (2.0 / (N * O))
    ones = torch.ones(N, dtype=x.dtype)
    dz = torch.einsum("no,oh->nh", g, W2) / torch.cosh(z) ** 2
    return {
        "W2": torch.einsum("no,nh->oh", g, h),
        "b2": ones @ g,
        "W1": torch.einsum("nh,nd->hd", dz, x),
        "b1": ones @ dz,
    }

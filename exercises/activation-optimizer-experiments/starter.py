import torch
import torch.nn.functional as F
from sklearn.datasets import make_moons
from torch import nn


def run_experiment(activation: str, optimizer: str, steps: int, seed: int) -> list[float]:
    """Train the fixed 2-16-16-2 MLP on two moons; return the full-batch loss before every step.

    Args:
        activation: "relu", "tanh" or "sigmoid".
        optimizer: "sgd" (lr 0.1), "momentum" (SGD, lr 0.1, momentum 0.9) or "adam" (lr 0.01).
        steps: number of training steps (= number of losses returned).
        seed: passed to torch.manual_seed before the model is built.
    """
    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    X = torch.tensor(X, dtype=torch.float32)  # (200, 2)
    y = torch.tensor(y, dtype=torch.long)     # (200,)
    raise NotImplementedError("build the model and optimiser from the names, then train and record the losses")

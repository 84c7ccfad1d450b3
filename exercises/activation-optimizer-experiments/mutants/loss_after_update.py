"""Records the loss of the network after each update (re-evaluated after opt.step()), not before it.

Caught by: test_losses_match_the_described_experiment, test_every_combination_matches_the_reference_curve
"""
import torch
import torch.nn.functional as F
from sklearn.datasets import make_moons
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
# name -> how to build the optimiser for a list of parameters (learning rates fixed by the prompt)
OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.1),
    "momentum": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: torch.optim.Adam(params, lr=0.01),
}


def make_data() -> tuple[torch.Tensor, torch.Tensor]:
    """Two moons: 200 points in 2-D, labels 0/1, always the same."""
    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.long)  # (200, 2), (200,)


def run_experiment(activation: str, optimizer: str, steps: int, seed: int) -> list[float]:
    """Train the fixed 2-16-16-2 MLP on two moons; return the full-batch loss before every step."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    X, y = make_data()
    torch.manual_seed(seed)  # the seed decides the initial weights, so equal seeds give equal curves
    act = ACTIVATIONS[activation]
    model = nn.Sequential(nn.Linear(2, 16), act(), nn.Linear(16, 16), act(), nn.Linear(16, 2))
    opt = OPTIMIZERS[optimizer](model.parameters())
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            losses.append(F.cross_entropy(model(X), y).item())
    return losses

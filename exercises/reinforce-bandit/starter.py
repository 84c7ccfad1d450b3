from typing import Callable, Sequence

import torch
from torch import nn
from torch.distributions import Categorical


class SoftmaxPolicy(nn.Module):
    """A softmax policy over K arms, parametrised by one logit per arm."""

    def __init__(self, n_arms: int) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_arms))  # (K,)

    def dist(self) -> Categorical:
        """The current policy as a distribution over arms."""
        return Categorical(logits=self.logits)


def reinforce_step(policy: SoftmaxPolicy, optimizer: torch.optim.Optimizer,
                   rewards_fn: Callable[[torch.Tensor], torch.Tensor],
                   batch_size: int, baseline: float) -> tuple[float, float]:
    """Sample `batch_size` arms, get their rewards, take one REINFORCE step; return (mean reward, loss)."""
    raise NotImplementedError("reinforce_step: sample, reward, loss = -(log_prob * (reward - baseline)).mean(), step")


def train_bandit(means: Sequence[float] | torch.Tensor, steps: int, lr: float, seed: int,
                 batch_size: int = 32) -> tuple[SoftmaxPolicy, list[float]]:
    """Train a SoftmaxPolicy with SGD on a Gaussian bandit; return it and the mean reward per step."""
    raise NotImplementedError("train_bandit")

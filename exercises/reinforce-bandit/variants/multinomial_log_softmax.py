"""Samples with torch.multinomial on the probabilities, takes log-probabilities with log_softmax and
gather, and keeps the baseline as the sum of the history divided by its length.
"""
from typing import Callable, Sequence

import torch
from torch import nn
from torch.distributions import Categorical


class SoftmaxPolicy(nn.Module):
    """A softmax policy over K arms, parametrised by one logit per arm."""

    def __init__(self, n_arms: int) -> None:
        super().__init__()
        # nn.Parameter registers the tensor, so policy.parameters() hands it to the optimiser.
        self.logits = nn.Parameter(torch.zeros(n_arms))  # (K,), zeros = uniform policy

    def dist(self) -> Categorical:
        """The current policy as a distribution over arms."""
        # Categorical applies a (stable) softmax to the logits itself.
        return Categorical(logits=self.logits)


def reinforce_step(policy: SoftmaxPolicy, optimizer: torch.optim.Optimizer,
                   rewards_fn: Callable[[torch.Tensor], torch.Tensor],
                   batch_size: int, baseline: float) -> tuple[float, float]:
    """Sample `batch_size` arms, get their rewards, take one REINFORCE step; return (mean reward, loss)."""
    d = policy.dist()
    actions = torch.multinomial(d.probs.detach(), batch_size, replacement=True)
    rewards = rewards_fn(actions).detach()
    log_probs = torch.log_softmax(policy.logits, dim=0).gather(0, actions)
    # Minus, because the optimiser minimises and we want to increase expected reward.
    loss = -(log_probs * (rewards - baseline)).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return rewards.mean().item(), loss.item()


def train_bandit(means: Sequence[float] | torch.Tensor, steps: int, lr: float, seed: int,
                 batch_size: int = 32) -> tuple[SoftmaxPolicy, list[float]]:
    """Train a SoftmaxPolicy with SGD on a Gaussian bandit; return it and the mean reward per step."""
    torch.manual_seed(seed)
    means = torch.as_tensor(means, dtype=torch.float32)        # (K,)

    def rewards_fn(actions: torch.Tensor) -> torch.Tensor:
        return means[actions] + torch.randn(actions.shape)     # (N,) Gaussian rewards, std 1

    policy = SoftmaxPolicy(len(means))
    optimizer = torch.optim.SGD(policy.parameters(), lr=lr)
    baseline = 0.0
    history: list[float] = []
    for t in range(steps):
        baseline = sum(history) / len(history) if history else 0.0
        mean_reward, _ = reinforce_step(policy, optimizer, rewards_fn, batch_size, baseline)
        history.append(mean_reward)
    return policy, history

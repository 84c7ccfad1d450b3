"""Ignores the baseline: the loss weights log-probabilities by the raw rewards.

Caught by: test_gradient_and_loss_match_a_hand_computation, test_baseline_reduces_the_variance_of_the_gradient
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
    actions = d.sample((batch_size,))               # (N,) int64; sampling is not differentiable
    rewards = rewards_fn(actions).detach()          # (N,) treated as constants
    log_probs = d.log_prob(actions)                 # (N,) log pi(a_i), differentiable in the logits
    # Minus, because the optimiser minimises and we want to increase expected reward.
    loss = -(log_probs * rewards).mean()
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
        mean_reward, _ = reinforce_step(policy, optimizer, rewards_fn, batch_size, baseline)
        history.append(mean_reward)
        baseline += (mean_reward - baseline) / (t + 1)         # running mean of steps 0..t
    return policy, history

"""Public tests for REINFORCE on a bandit: run by *Run* and shown to the learner."""
import torch
from torch.distributions import Categorical

from course_harness import get_function

MEANS = [0.2, 0.5, -0.1, 1.0, 0.3]  # arm 3 is the best
SIGNATURES = {
    "SoftmaxPolicy": "class SoftmaxPolicy(nn.Module) with __init__(self, n_arms: int) and dist(self)",
    "reinforce_step": "reinforce_step(policy, optimizer, rewards_fn, batch_size: int, baseline: float) "
                      "-> tuple[float, float]",
    "train_bandit": "train_bandit(means, steps: int, lr: float, seed: int, batch_size: int = 32) "
                    "-> tuple[SoftmaxPolicy, list[float]]",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def probs_of(policy):
    d = policy.dist()
    if not isinstance(d, Categorical):
        raise AssertionError(f"policy.dist() should return a torch.distributions.Categorical, got {type(d).__name__}.")
    return d.probs.detach()


def test_policy_has_one_zero_logit_per_arm_and_starts_uniform():
    policy = fn("SoftmaxPolicy")(5)
    params = list(policy.parameters())
    assert len(params) == 1 and tuple(params[0].shape) == (5,), (
        "SoftmaxPolicy(5) should register exactly one parameter of shape (5,) (self.logits = nn.Parameter(...)); "
        f"found shapes {[tuple(p.shape) for p in params]}.")
    assert getattr(policy, "logits", None) is params[0], "name the parameter `logits` (self.logits = nn.Parameter(...))."
    probs = probs_of(policy)
    assert torch.allclose(probs, torch.full((5,), 0.2)), (
        f"a new policy should be uniform (logits all zero), but dist().probs is {probs.tolist()}.")


def test_reinforce_step_moves_probability_towards_the_rewarded_arm():
    policy = fn("SoftmaxPolicy")(4)
    optimizer = torch.optim.SGD(policy.parameters(), lr=0.5)
    seen = []

    def rewards_fn(actions):  # arm 2 pays 1, the others pay 0
        seen.append(actions.clone())
        return (actions == 2).float()

    step = fn("reinforce_step")
    result = step(policy, optimizer, rewards_fn, 16, 0.0)
    if not (isinstance(result, tuple) and len(result) == 2 and all(isinstance(v, float) for v in result)):
        raise AssertionError(f"reinforce_step should return (mean_reward, loss) as two Python floats (use .item()), "
                             f"got {result!r:.80}.")
    assert len(seen) == 1 and tuple(seen[0].shape) == (16,), (
        "reinforce_step should call rewards_fn once with all batch_size=16 actions, as a tensor of shape (16,); "
        f"it was called {len(seen)} time(s) with shapes {[tuple(a.shape) for a in seen]}.")
    expected_mean = float((seen[0] == 2).float().mean())
    assert abs(result[0] - expected_mean) < 1e-6, (
        f"the first value returned should be the mean reward of the batch, {expected_mean:.4f}; got {result[0]:.4f}.")
    for _ in range(40):
        step(policy, optimizer, rewards_fn, 16, 0.0)
    p = probs_of(policy)[2].item()
    assert p > 0.8, (f"after 41 steps rewarding only arm 2, its probability should be above 0.8, but it is {p:.3f}. "
                     "Check the sign of the loss: minimising -(log_prob * advantage) increases rewarded actions.")


def test_training_finds_the_best_arm_and_plots_the_mean_reward(artifacts):
    result = fn("train_bandit")(MEANS, steps=200, lr=0.5, seed=0)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError("train_bandit should return a tuple (policy, mean_rewards).")
    policy, history = result
    if not isinstance(history, list) or len(history) != 200:
        raise AssertionError(f"train_bandit(..., steps=200) should return a list of 200 mean rewards, "
                             f"got {type(history).__name__} of length {len(history) if hasattr(history, '__len__') else '?'}.")
    probs = probs_of(policy)
    artifacts.line("mean reward per step", history, x_label="step", y_label="mean reward of the batch")
    artifacts.heatmap("final policy: probability of each arm", probs[None, :],
                      x_labels=[f"arm {i} (mean {m})" for i, m in enumerate(MEANS)], y_labels=["policy"])
    assert probs[3].item() >= 0.9, (
        f"after 200 steps the policy should put at least 0.9 on arm 3 (mean reward 1.0), but its probabilities are "
        f"{[round(p, 3) for p in probs.tolist()]}.")
    late = sum(history[-20:]) / 20
    assert late > 0.8, f"the mean reward of the last 20 steps should be near 1.0 (the best arm), got {late:.3f}."

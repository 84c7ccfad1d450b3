"""Hidden tests for REINFORCE on a bandit: edge cases, run only on *Submit*."""
import math

import torch

from course_harness import assert_tensor_close, get_function, submission

SIGNATURES = {
    "SoftmaxPolicy": "class SoftmaxPolicy(nn.Module) with __init__(self, n_arms: int) and dist(self)",
    "reinforce_step": "reinforce_step(policy, optimizer, rewards_fn, batch_size: int, baseline: float) "
                      "-> tuple[float, float]",
    "train_bandit": "train_bandit(means, steps: int, lr: float, seed: int, batch_size: int = 32) "
                    "-> tuple[SoftmaxPolicy, list[float]]",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


class RecordingSGD(torch.optim.SGD):
    """SGD that remembers the gradient it was given at each step (read before any zero_grad)."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.grads = []

    def step(self, closure=None):
        grad = self.param_groups[0]["params"][0].grad
        self.grads.append(None if grad is None else grad.detach().clone())
        return super().step(closure)


def one_gradient(policy, rewards_fn, batch_size, baseline):
    """Run one reinforce_step with a zero learning rate and return (gradient, result)."""
    optimizer = RecordingSGD(policy.parameters(), lr=0.0)
    result = fn("reinforce_step")(policy, optimizer, rewards_fn, batch_size, baseline)
    if len(optimizer.grads) != 1 or optimizer.grads[0] is None:
        raise AssertionError("reinforce_step should call loss.backward() and then optimizer.step() exactly once "
                             f"(optimizer.step() was called {len(optimizer.grads)} time(s), with gradients "
                             f"{'missing' if optimizer.grads and optimizer.grads[0] is None else 'present'}).")
    return optimizer.grads[0], result


def test_gradient_and_loss_match_a_hand_computation():
    policy = fn("SoftmaxPolicy")(3)
    with torch.no_grad():
        policy.logits.copy_(torch.tensor([0.5, -0.2, 0.1]))
    payout = torch.tensor([1.0, -0.5, 2.0])
    seen = []

    def rewards_fn(actions):
        seen.append(actions.clone())
        return payout[actions]

    grad, (mean_reward, loss) = one_gradient(policy, rewards_fn, batch_size=8, baseline=0.3)
    actions = torch.cat(seen)                                    # (8,)
    p = torch.softmax(torch.tensor([0.5, -0.2, 0.1]), dim=0)     # (3,)
    advantage = payout[actions] - 0.3                            # (8,)
    # d log softmax(theta)[a] / d theta = onehot(a) - p
    onehot = (actions[:, None] == torch.arange(3)).float()       # (8, 3)
    expected_grad = -(advantage[:, None] * (onehot - p)).mean(dim=0)
    expected_loss = -(advantage * torch.log(p[actions])).mean()
    assert_tensor_close(grad, expected_grad, atol=1e-6,
                        name="the gradient of your REINFORCE loss w.r.t. the logits (batch of 8, baseline 0.3)")
    assert math.isclose(loss, float(expected_loss), rel_tol=1e-5, abs_tol=1e-6), (
        f"the returned loss should be -mean(log_prob * (reward - baseline)) = {float(expected_loss):.6f}; got {loss:.6f}.")
    assert math.isclose(mean_reward, float(payout[actions].mean()), abs_tol=1e-6), (
        f"the returned mean reward should be {float(payout[actions].mean()):.6f}; got {mean_reward:.6f}.")


def test_baseline_reduces_the_variance_of_the_gradient():
    payout = torch.tensor([5.0, 5.5, 6.0])  # large rewards: without a baseline every arm looks good

    def rewards_fn(actions):
        return payout[actions]

    def gradient_variance(baseline):
        grads = []
        for seed in range(30):
            torch.manual_seed(seed)
            grad, _ = one_gradient(fn("SoftmaxPolicy")(3), rewards_fn, batch_size=4, baseline=baseline)
            grads.append(grad)
        g = torch.stack(grads)                                   # (30, 3)
        return float(((g - g.mean(dim=0)) ** 2).sum(dim=1).mean())

    without, with_baseline = gradient_variance(0.0), gradient_variance(5.5)
    assert with_baseline < 0.25 * without, (
        f"subtracting the baseline 5.5 from rewards near 5.5 should shrink the gradient's variance a lot, but it went "
        f"from {without:.4f} (baseline 0) to {with_baseline:.4f}. Use (reward - baseline), not reward alone.")


def test_policy_probabilities_sum_to_one_for_any_logits():
    policy = fn("SoftmaxPolicy")(4)
    for logits in ([1.0, 2.0, 3.0, 4.0], [1000.0, 0.0, -1000.0, 5.0], [-3.0, -3.0, -3.0, -3.0]):
        with torch.no_grad():
            policy.logits.copy_(torch.tensor(logits))
        probs = policy.dist().probs.detach()
        assert_tensor_close(probs, torch.softmax(torch.tensor(logits), dim=0), atol=1e-6,
                            name=f"dist().probs for logits {logits}")
        assert_tensor_close(probs.sum(), torch.tensor(1.0), atol=1e-6, name=f"the sum of dist().probs for logits {logits}")


def test_the_same_seed_gives_the_same_run():
    train_bandit = fn("train_bandit")
    _, first = train_bandit([0.0, 1.0, 0.5], steps=30, lr=0.5, seed=7)
    torch.manual_seed(123)  # the global state before the call must not matter
    _, again = train_bandit([0.0, 1.0, 0.5], steps=30, lr=0.5, seed=7)
    assert first == again, "two calls of train_bandit with seed=7 gave different rewards: call torch.manual_seed(seed) first."
    _, other = train_bandit([0.0, 1.0, 0.5], steps=30, lr=0.5, seed=8)
    assert other != first, "seed=7 and seed=8 gave identical runs: the seed should change the sampled pulls."


def test_two_arm_bandit_given_as_a_tensor_prefers_the_better_arm():
    policy, history = fn("train_bandit")(torch.tensor([0.8, 0.0]), steps=150, lr=0.5, seed=3, batch_size=16)
    probs = policy.dist().probs.detach()
    assert probs[0].item() >= 0.9, (
        f"with means tensor([0.8, 0.0]) the policy should prefer arm 0 (probability >= 0.9); got {probs.tolist()}.")
    assert len(history) == 150, f"expected 150 mean rewards for steps=150, got {len(history)}."


def test_train_bandit_uses_a_running_mean_baseline_and_gaussian_rewards(monkeypatch):
    # Watch the calls train_bandit makes to reinforce_step: the baseline it passes at step t must be the mean of
    # the mean rewards of steps 0..t-1 (0.0 at first), and the rewards must be means[a] + N(0, 1) noise.
    module = submission()
    original = fn("reinforce_step")
    calls = []

    def watched(policy, optimizer, rewards_fn, batch_size, baseline):
        pulls = []

        def watched_rewards(actions):
            rewards = rewards_fn(actions)
            pulls.append((actions.detach().clone(), rewards.detach().clone()))
            return rewards

        result = original(policy, optimizer, watched_rewards, batch_size, baseline)
        calls.append((float(baseline), result, pulls))
        return result

    monkeypatch.setattr(module, "reinforce_step", watched)
    means = torch.tensor([0.5, -1.0, 2.0, 0.0])
    _, history = fn("train_bandit")(means.tolist(), steps=60, lr=0.1, seed=4)
    if len(calls) != 60:
        raise AssertionError(f"train_bandit(..., steps=60) should call reinforce_step 60 times (once per step); "
                             f"{len(calls)} call(s) were seen.")
    for t, (baseline, result, _) in enumerate(calls):
        expected = sum(history[:t]) / t if t else 0.0
        assert math.isclose(baseline, expected, rel_tol=1e-5, abs_tol=1e-5), (
            f"at step {t} train_bandit passed baseline={baseline:.5f}; the running mean of the mean rewards of "
            f"steps 0..{t - 1} is {expected:.5f}" + (" (use 0.0 for the first step)" if t == 0 else "") +
            ". Update it after each step: baseline += (mean_reward - baseline) / (t + 1).")
        assert math.isclose(result[0], history[t], abs_tol=1e-6), (
            f"the mean reward recorded for step {t} ({history[t]:.5f}) is not the one reinforce_step returned "
            f"({result[0]:.5f}).")
    actions = torch.cat([a for *_, pulls in calls for a, _ in pulls])
    rewards = torch.cat([r for *_, pulls in calls for _, r in pulls]).double()
    noise = rewards - means.double()[actions]                       # should be N(0, 1): 1 920 draws
    mean, std = float(noise.mean()), float(noise.std())
    assert abs(mean) < 0.15 and 0.9 < std < 1.1, (
        f"the reward noise (reward - means[arm]) has mean {mean:.3f} and standard deviation {std:.3f}; pulling arm a "
        "should pay means[a] + torch.randn(...) noise: mean 0, standard deviation 1.")

"""Public tests for reshaping, views and indexing: run by *Run* and shown to the learner."""
import ast
import inspect
import textwrap

import torch

from course_harness import assert_tensor_close, get_function

SIGNATURES = {
    "split_heads": "split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor",
    "merge_heads": "merge_heads(x: torch.Tensor) -> torch.Tensor",
    "select_rows": "select_rows(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor",
    "masked_mean": "masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor",
    "last_valid": "last_valid(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor",
}


def fn(name):
    return get_function(name, SIGNATURES[name])


def heads_by_slicing(x, n_heads):
    """Reference split: head h is the channel slice [h*hs, (h+1)*hs), stacked as dim 1."""
    hs = x.shape[-1] // n_heads
    return torch.stack([x[:, :, h * hs:(h + 1) * hs] for h in range(n_heads)], dim=1)  # (B, nh, T, hs)


def test_split_heads_gives_each_head_its_own_channel_slice():
    x = torch.randn(2, 5, 12)  # (B, T, C)
    assert_tensor_close(fn("split_heads")(x, 3), heads_by_slicing(x, 3), atol=0, rtol=0,
                        name="split_heads(x, 3) for x of shape (2, 5, 12)")


def test_merge_heads_undoes_split_heads():
    merge_heads = fn("merge_heads")
    x = torch.randn(2, 5, 12)  # (B, T, C)
    heads = heads_by_slicing(x, 4)  # (2, 4, 5, 3), built without your split_heads
    assert_tensor_close(merge_heads(heads), x, atol=0, rtol=0,
                        name="merge_heads(heads) for heads of shape (2, 4, 5, 3)")
    assert_tensor_close(merge_heads(fn("split_heads")(x, 4)), x, atol=0, rtol=0,
                        name="merge_heads(split_heads(x, 4))")


def test_select_rows_picks_rows_in_the_given_order():
    x = torch.randn(6, 3)
    idx = torch.tensor([4, 0, 4, 2])
    assert_tensor_close(fn("select_rows")(x, idx), torch.index_select(x, 0, idx), atol=0, rtol=0,
                        name="select_rows(x, tensor([4, 0, 4, 2])) for x of shape (6, 3)")


def test_masked_mean_averages_only_the_true_entries():
    x = torch.randn(4, 7)
    mask = torch.rand(4, 7) < 0.5
    mask[:, 0] = True  # every row has at least one valid entry here
    expected = torch.stack([x[b][mask[b]].mean() for b in range(4)])
    assert_tensor_close(fn("masked_mean")(x, mask), expected, atol=1e-6,
                        name="masked_mean(x, mask) for x of shape (4, 7)")


def test_last_valid_picks_the_last_real_step():
    x = torch.randn(3, 5, 2)  # (B, T, D)
    lengths = torch.tensor([5, 1, 3])
    expected = torch.stack([x[b, lengths[b] - 1] for b in range(3)])  # (B, D)
    assert_tensor_close(fn("last_valid")(x, lengths), expected, atol=0, rtol=0,
                        name="last_valid(x, tensor([5, 1, 3])) for x of shape (3, 5, 2)")


def test_no_python_loops():
    found = []
    for name in SIGNATURES:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn(name))))
        except (OSError, TypeError, SyntaxError):
            continue
        found += [f"{name} (line {node.lineno} of the function)" for node in ast.walk(tree)
                  if isinstance(node, (ast.For, ast.While, ast.comprehension))]
    assert not found, ("No Python loops over the batch, heads or positions in this exercise: use reshape, "
                       "transpose/permute, masks and index tensors instead. Found a loop or comprehension in "
                       + ", ".join(found) + ".")

"""Public tests for the DDP exercise: run by *Run* and shown to the learner.

The reference is ordinary single-process training on the whole batch: data-parallel
training with averaged gradients must reproduce it step for step.
"""
from course_harness import artifacts, assert_not_using, assert_tensor_close, get_function
from ddp_support import WORKER_SIGNATURE, probe_worker, reference, run, strip


def test_averaged_gradients_equal_full_batch_gradients():
    result = run(2, 10)
    expected_grads, _, expected_losses = reference(10)
    for rank, grads in enumerate(result["grads"]):
        grads = strip(grads)
        assert set(grads) == set(expected_grads), (
            f"rank {rank} saved gradients for {sorted(grads)}, expected {sorted(expected_grads)} "
            "(use model.module.named_parameters()).")
        for name, g in expected_grads.items():
            assert_tensor_close(grads[name], g, atol=1e-5, rtol=1e-4,
                                name=f"rank {rank}'s gradient of {name} in the last step (after DDP's all-reduce)")
    mean_losses = [sum(ls[i] for ls in result["losses"]) / 2 for i in range(10)]
    artifacts().line("training loss", mean_losses, x_label="step", y_label="loss (mean over ranks)")


def test_parameters_are_identical_on_every_rank_after_training():
    result = run(2, 10)
    _, expected_params, _ = reference(10)
    params = [strip(p) for p in result["params"]]
    for name, p in expected_params.items():
        assert name in params[0], f"rank 0 saved no parameter named {name!r}; saved: {sorted(params[0])}."
        assert_tensor_close(params[1][name], params[0][name], atol=1e-6, rtol=1e-5,
                            name=f"rank 1's {name} compared with rank 0's (replicas must stay in sync)")
        assert_tensor_close(params[0][name], p, atol=1e-5, rtol=1e-4,
                            name=f"{name} after 10 steps, compared with full-batch training in one process")


def test_each_rank_trains_on_its_own_half_of_the_data():
    result = run(2, 10)
    _, _, expected_losses = reference(10)
    first = [float(ls[0]) for ls in result["losses"]]
    assert abs(first[0] - first[1]) > 1e-3, (
        f"both ranks report the same first-step loss {first[0]:.5f}: each rank should compute its loss on "
        "its own shard of the data (DistributedSampler or x[rank::world_size]), not on the whole set.")
    for step in range(10):
        mean = sum(float(ls[step]) for ls in result["losses"]) / 2
        assert abs(mean - expected_losses[step]) < 1e-4 * max(1.0, expected_losses[step]), (
            f"step {step}: the mean of the ranks' losses is {mean:.6f}, but the full-batch loss is "
            f"{expected_losses[step]:.6f}. " + (
                "With equal shards and a mean-reduced loss they agree; check that the shards are disjoint, "
                "equal in size and together cover all 16 samples." if step == 0 else
                "The first step agreed, so the data is fine but the update is not: wrap the model in DDP "
                "before creating the optimizer, and call zero_grad, backward and step once per step."))


def test_worker_saves_its_result_and_destroys_the_process_group():
    for rank, info in enumerate(probe_worker(2, 2)):
        status = info["status"]
        assert status != "timeout", (
            f"ddp_worker(rank={rank}, world_size=2, ...) did not finish within 20 s. Either a rank waits in a "
            "collective the other rank never reaches, or the DDP model was still alive when the process group "
            "was destroyed: `del model` before dist.destroy_process_group() (see the prompt's rules).")
        assert status != "still initialised", (
            f"after ddp_worker returned on rank {rank}, torch.distributed was still initialised: call "
            "dist.destroy_process_group() at the end (in a `finally:` block).")
        assert status == "ok", f"ddp_worker on rank {rank} {status}"
        record = info["record"]
        assert record is not None, f"ddp_worker on rank {rank} did not save {{out_dir}}/rank{rank}.pt."
        assert isinstance(record, dict) and {"grads", "params", "losses"} <= set(record), (
            f"rank{rank}.pt should hold a dict with 'grads', 'params' and 'losses', got "
            f"{sorted(record) if isinstance(record, dict) else type(record).__name__}.")


def test_synchronisation_is_left_to_distributed_data_parallel():
    get_function("ddp_worker", WORKER_SIGNATURE)
    assert_not_using({"all_reduce", "all_reduce_coalesced", "reduce_scatter", "reduce_scatter_tensor"},
                     "This exercise is about letting DistributedDataParallel average the gradients, so do not "
                     "all-reduce them by hand.")
    # Behaviour, not names: an imported (or even constructed) DDP that the training step never calls
    # synchronises nothing. Every rank must run its training forward passes through the DDP wrapper.
    for rank, info in enumerate(probe_worker(2, 2)):
        crashed = "" if info["status"] in ("ok", "still initialised") else f" (ddp_worker {info['status']})"
        assert info["synced_forwards"] >= 2, (
            f"ddp_worker(rank={rank}, world_size=2, ..., steps=2) ran {info['synced_forwards']} forward pass(es) "
            "through DistributedDataParallel, expected one per step. DDP all-reduces the gradients only in the "
            "backward of a forward that went through the wrapper: build `model = DDP(make_model())` and compute "
            "the loss with `model(xb)` (not `model.module(xb)`, and not an unwrapped copy)" + crashed + ".")

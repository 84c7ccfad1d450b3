"""Public tests for the FSDP exercise: run by *Run* and shown to the learner.

The reference is ordinary single-process training on the whole batch: sharded training
with averaged gradients must reproduce it step for step, while each rank holds only its
slice of every parameter.
"""
from course_harness import artifacts, assert_not_using, get_function
from fsdp_support import WORKER_SIGNATURE, check_shards, check_state_dicts, probe_worker, reference, run


def test_gathered_state_dict_equals_single_process_training():
    result = run(2, 10)
    check_state_dicts(result, 2, 10)
    mean_losses = [sum(float(ls[i]) for ls in result["losses"]) / 2 for i in range(10)]
    artifacts().line("training loss", mean_losses, x_label="step", y_label="loss (mean over ranks)")


def test_each_rank_holds_only_its_slice_of_every_parameter():
    check_shards(run(2, 10), 2)


def test_each_rank_trains_on_its_own_half_of_the_data():
    result = run(2, 10)
    _, expected_losses = reference(10)
    first = [float(ls[0]) for ls in result["losses"]]
    assert abs(first[0] - first[1]) > 1e-4, (
        f"both ranks report the same first-step loss {first[0]:.5f}: each rank should compute its loss on "
        "its own half of the data (x[rank::world_size]), not on the whole set.")
    for step in range(10):
        mean = sum(float(ls[step]) for ls in result["losses"]) / 2
        assert abs(mean - expected_losses[step]) < 1e-4 * max(1.0, expected_losses[step]), (
            f"step {step}: the mean of the ranks' losses is {mean:.6f}, but the full-batch loss is "
            f"{expected_losses[step]:.6f}. " + (
                "Check that the shards are disjoint, equal in size and cover all 32 samples." if step == 0 else
                "The first step agreed, so the data is fine but the update is not: create the optimizer AFTER "
                "fully_shard (sharding replaces the parameters, and an optimizer made earlier updates the old "
                "ones), and call zero_grad, backward and step once per step."))


def test_worker_saves_its_result_and_destroys_the_process_group():
    for rank, info in enumerate(probe_worker(2, 2)):
        status = info["status"]
        assert status != "timeout", (
            f"fsdp_worker(rank={rank}, world_size=2, ...) did not finish within 20 s: look for a rank that "
            "waits in a collective (full_tensor, a forward pass) the other rank never reaches.")
        assert status != "still initialised", (
            f"after fsdp_worker returned on rank {rank}, torch.distributed was still initialised: call "
            "dist.destroy_process_group() at the end (in a `finally:` block).")
        assert status == "ok", f"fsdp_worker on rank {rank} {status}"
        record = info["record"]
        assert record is not None, f"fsdp_worker on rank {rank} did not save {{out_dir}}/rank{rank}.pt."
        assert isinstance(record, dict) and {"shards", "state_dict", "losses"} <= set(record), (
            f"rank{rank}.pt should hold a dict with 'shards', 'state_dict' and 'losses', got "
            f"{sorted(record) if isinstance(record, dict) else type(record).__name__}.")


def test_sharding_is_left_to_fully_shard():
    get_function("fsdp_worker", WORKER_SIGNATURE)
    assert_not_using({"all_reduce", "reduce_scatter", "reduce_scatter_tensor", "FullyShardedDataParallel"},
                     "Let fully_shard (FSDP2) shard the parameters and average the gradients: no hand-written "
                     "all_reduce / reduce_scatter, and not the FSDP1 wrapper, which needs a GPU.")
    # Behaviour, not names: importing fully_shard proves nothing. While fsdp_worker trains, the
    # forward passes must run through modules that fully_shard has sharded.
    for rank, info in enumerate(probe_worker(2, 2)):
        crashed = "" if info["status"] in ("ok", "still initialised") else f" (fsdp_worker {info['status']})"
        assert info["sharded_forwards"] >= 2, (
            f"fsdp_worker(rank={rank}, world_size=2, ..., steps=2) ran {info['sharded_forwards']} forward pass(es) "
            "through a module sharded by fully_shard, expected at least one per step: call fully_shard on the "
            "model you train and compute the loss with that model" + crashed + ".")

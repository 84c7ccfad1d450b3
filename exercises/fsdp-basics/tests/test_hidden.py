"""Hidden tests for the FSDP exercise: four ranks, one rank, one step."""
from course_harness import get_function
from fsdp_support import RUN_SIGNATURE, check_shards, check_state_dicts, checked, launch


def test_four_ranks_shard_every_parameter_into_quarters_and_match_full_batch_training():
    run_fsdp = get_function("run_fsdp", RUN_SIGNATURE)
    # 8 samples per rank; the last layer's weight (4, 32) is split into four (1, 32) rows.
    result = checked(launch("run_fsdp", world_size=4, steps=3, timeout_s=45), 4)
    check_shards(result, 4)
    check_state_dicts(result, 4, 3)


def test_a_single_rank_holds_the_whole_model_and_trains_normally():
    run_fsdp = get_function("run_fsdp", RUN_SIGNATURE)
    result = checked(launch("run_fsdp", world_size=1, steps=2), 1)
    check_shards(result, 1)
    check_state_dicts(result, 1, 2)


def test_one_step_matches_one_full_batch_step():
    run_fsdp = get_function("run_fsdp", RUN_SIGNATURE)
    result = checked(launch("run_fsdp", world_size=2, steps=1), 2)
    check_state_dicts(result, 2, 1)

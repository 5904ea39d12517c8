"""Fargate task sizes: the memory each CPU size accepts."""

# Memory (MiB) Fargate accepts for each task CPU size (CPU units). 256 CPU
# units take three listed sizes; the others take a range in fixed steps.
FARGATE_MEMORY: dict[int, tuple[int, ...] | range] = {
    256: (512, 1024, 2048),
    512: range(1024, 4096 + 1, 1024),
    1024: range(2048, 8192 + 1, 1024),
    2048: range(4096, 16384 + 1, 1024),
    4096: range(8192, 30720 + 1, 1024),
    8192: range(16384, 61440 + 1, 4096),
    16384: range(32768, 122880 + 1, 8192),
}


def validate_task_size(cpu: int, memory: int) -> None:
    """Raise ValueError unless Fargate accepts this CPU and memory pair."""
    for field, value in (("cpu", cpu), ("memory", memory)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{field} must be an integer, got {value!r}.")
    if cpu not in FARGATE_MEMORY:
        allowed = ", ".join(str(c) for c in FARGATE_MEMORY)
        raise ValueError(f"cpu is {cpu}; Fargate allows {allowed} CPU units.")
    sizes = FARGATE_MEMORY[cpu]
    if memory in sizes:
        return
    if isinstance(sizes, range):
        described = f"{sizes.start} to {sizes[-1]} in steps of {sizes.step}"
    else:
        described = ", ".join(str(m) for m in sizes)
    raise ValueError(
        f"memory is {memory} MiB; with cpu {cpu} Fargate allows {described} MiB."
    )

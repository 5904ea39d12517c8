"""Fargate task sizes and the platform versions that mount EFS."""

from __future__ import annotations

# CPU units and the memory (MiB) each allows: (first, last, step).
FARGATE_TASK_SIZES: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 0),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}

# 256 CPU units allow exactly these memory sizes rather than a stepped range.
_SMALLEST_TASK_MEMORY = (512, 1024, 2048)


def allowed_memory(cpu: int) -> list[int]:
    """Return the memory sizes (MiB) Fargate accepts with `cpu` units."""
    if cpu == 256:
        return list(_SMALLEST_TASK_MEMORY)
    first, last, step = FARGATE_TASK_SIZES[cpu]
    return list(range(first, last + 1, step))


def validate_task_size(cpu: int, memory: int) -> None:
    """Raise ValueError unless Fargate accepts this CPU and memory pair."""
    for field, value in (("cpu", cpu), ("memory", memory)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{field} must be an integer, got {value!r}.")
    if cpu not in FARGATE_TASK_SIZES:
        allowed = ", ".join(str(c) for c in FARGATE_TASK_SIZES)
        raise ValueError(f"cpu is {cpu}; Fargate allows {allowed} CPU units.")
    sizes = allowed_memory(cpu)
    if memory not in sizes:
        if cpu == 256:
            described = ", ".join(str(m) for m in sizes)
        else:
            first, last, step = FARGATE_TASK_SIZES[cpu]
            described = f"{first} to {last} in steps of {step}"
        raise ValueError(
            f"memory is {memory} MiB; with cpu {cpu} Fargate allows {described} MiB."
        )

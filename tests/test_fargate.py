"""Fargate task size validation against the sizes AWS documents."""

import pytest

from components.fargate import validate_task_size


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        (256, 512),
        (256, 2048),
        (512, 1024),
        (512, 4096),
        (1024, 8192),
        (2048, 16384),
        (4096, 30720),
        (8192, 16384),
        (8192, 61440),
        (16384, 32768),
        (16384, 122880),
    ],
)
def test_valid_size_accepted(cpu: int, memory: int) -> None:
    validate_task_size(cpu, memory)


@pytest.mark.parametrize(
    ("cpu", "memory", "message"),
    [
        (256, 1536, "with cpu 256 Fargate allows 512, 1024, 2048 MiB"),
        (512, 512, "with cpu 512 Fargate allows 1024 to 4096 in steps of 1024"),
        (4096, 31744, "with cpu 4096 Fargate allows 8192 to 30720 in steps of 1024"),
        (8192, 17408, "with cpu 8192 Fargate allows 16384 to 61440 in steps of 4096"),
        (16384, 36864, "in steps of 8192"),
        (300, 512, "cpu is 300; Fargate allows 256, 512, 1024"),
    ],
)
def test_invalid_size_rejected(cpu: int, memory: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_task_size(cpu, memory)


def test_non_integer_rejected() -> None:
    with pytest.raises(TypeError, match="memory must be an integer, got '512'"):
        validate_task_size(256, "512")  # type: ignore[arg-type]

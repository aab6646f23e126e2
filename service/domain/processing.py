"""Processing of accepted reports (filled in by the pipeline)."""


def process(report_id: int) -> None:
    raise NotImplementedError


def sweep() -> int:
    return 0

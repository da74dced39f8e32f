"""``python -m tokencost.selfhost --calibration-table | --validation-table``: the tables in docs/selfhost.md."""

from __future__ import annotations

from .roofline import (
    calibration_markdown,
    frontier_report,
    latency_report,
    publisher_holdout_report,
    validation_markdown,
)


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tokencost.selfhost")
    parser.add_argument("--calibration-table", action="store_true", help="print the predicted-vs-measured table (markdown)")
    parser.add_argument("--validation-table", action="store_true",
                        help="print the latency, leave-one-publisher-out and per-user-speed tables "
                             "(markdown; refits once per publisher)")
    args = parser.parse_args(argv)
    if args.calibration_table:
        print(calibration_markdown())
        return 0
    if args.validation_table:
        print(validation_markdown(latency_report(), publisher_holdout_report(), frontier_report()))
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

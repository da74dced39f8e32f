"""``python -m tokencost.selfhost --calibration-table``: the predicted-vs-measured table for docs/selfhost.md."""

from __future__ import annotations

from .roofline import calibration_markdown


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tokencost.selfhost")
    parser.add_argument("--calibration-table", action="store_true", help="print the predicted-vs-measured table (markdown)")
    args = parser.parse_args(argv)
    if args.calibration_table:
        print(calibration_markdown())
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

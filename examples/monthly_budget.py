"""A monthly budget CSV for a spreadsheet: 5,000 requests a day for 30 days on the default models."""

import sys
from pathlib import Path

from tokencost import compare
from tokencost._fs import write_atomic
from tokencost.render import render_csv
from tokencost.rows import estimate_rows

prompt = Path(__file__).with_name("prompt.txt").read_text(encoding="utf-8")
estimates = compare(prompt, response_tokens=200, requests=5_000 * 30)
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("budget.csv")
write_atomic(out, render_csv(estimate_rows(estimates).rows))
cheapest, dearest = estimates[0], estimates[-1]
print(f"wrote {out}: {len(estimates)} models, ${cheapest.total_cost:.2f} ({cheapest.model}) "
      f"to ${dearest.total_cost:.2f} ({dearest.model}) a month")

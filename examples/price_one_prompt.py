"""Price one prompt on one model, and known token counts, in Python."""

from tokencost import Usage, estimate, price

prompt = "Summarise the attached contract in five bullet points for a procurement manager."
result = estimate(prompt, "openai:gpt-4o", response_tokens=250)

print(f"{result.model}: {result.input_tokens} input tokens ({result.count}), {result.output_tokens} output tokens")
print(f"input ${result.input_cost}  output ${result.output_cost}  total ${result.total_cost}")
print(f"priced on {result.as_of} at the price in force from {result.price_effective}, "
      f"checked {result.price_checked} against {result.source}")

# Token counts you already have (from a usage object or a log): no text needed.
known = price("openai:gpt-4o", Usage(input_tokens=12_000, cached_tokens=8_000, output_tokens=900))
print(f"12,000 input tokens (8,000 cached) and 900 output tokens: ${known.total_cost}")

"""Price one prompt on one model, in Python."""

from tokencost import estimate

prompt = "Summarise the attached contract in five bullet points for a procurement manager."
result = estimate(prompt, "openai:gpt-4o", response_tokens=250)

print(f"{result.model}: {result.prompt_tokens} prompt tokens ({result.count}), "
      f"{result.response_tokens} response tokens")
print(f"input ${result.input_cost}  output ${result.output_cost}  total ${result.total_cost}")
print(f"prices as of {result.price_as_of} from {result.source}")

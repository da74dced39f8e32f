"""The article's claim, tested: does trimming 10% of a prompt save "up to 15%"?"""

from tokencost import trim_saving

cases = {
    "short prompt, long answer (linear pricing)": dict(prompt_tokens=2_000, response_tokens=800),
    "prompt pushed below Gemini 2.5 Pro's 200K tier": dict(prompt_tokens=210_000, response_tokens=1_000),
    "cached system prompt, trim the uncached part": dict(prompt_tokens=10_000, cached_tokens=8_000, response_tokens=0),
}
for label, kw in cases.items():
    print(label)
    for r in trim_saving(None, ["openai:gpt-4.1", "gemini:gemini-2.5-pro"], trim=0.10, **kw):
        verdict = "reaches 15%" if r.article_claim_reached else "below 15%"
        print(f"  {r.model:24} saves {r.saving_pct:7.3f}%  ({verdict}): {r.explanation}")

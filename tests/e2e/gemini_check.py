"""Drive aimsgate with the official Google Gen AI Python SDK (`google-genai`), changing only the
base URL.

Run by tests/it/sdk_e2e.rs against a gateway whose `gemini` upstream is the mock provider.
Prints `ok <case>` per passing case and exits non-zero on the first failure.
"""
import os
import sys

from google import genai
from google.genai import errors, types

BASE = os.environ["AIMSGATE_URL"]
EXPECTED = os.environ["EXPECTED_REPLY"]
CARD = "4539 1488 0343 6467"
SECRET = "aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o"


def check(case, cond, detail=""):
    if not cond:
        print(f"FAIL {case}: {detail}")
        sys.exit(1)
    print(f"ok {case}")


client = genai.Client(
    api_key="AIza-e2e-caller-key-000000000000000000",
    http_options=types.HttpOptions(
        base_url=BASE,
        headers={"x-aimsgate-ai-system": "general-assistant"},
        retry_options=types.HttpRetryOptions(attempts=1),
    ),
)

r = client.models.generate_content(model="gemini-2.5-flash", contents="Say hello.")
check("gemini generate_content", r.text == EXPECTED, r)
check("gemini usage", r.usage_metadata.prompt_token_count == 12, r.usage_metadata)

chunks = [c.text for c in client.models.generate_content_stream(model="gemini-2.5-flash", contents="Say hello.")]
check("gemini generate_content_stream", "".join(chunks) == EXPECTED and len(chunks) > 1, chunks)

r = client.models.generate_content(
    model="gemini-mock-echo",
    contents=f"Charge {CARD} for the order.",
    config=types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=64),
)
check("gemini redaction", CARD not in (r.text or "") and "Charge" in (r.text or ""), r.text)

echoed = "".join(
    c.text or "" for c in client.models.generate_content_stream(model="gemini-mock-echo", contents=f"Card {CARD} again.")
)
check("gemini stream redaction", CARD not in echoed and "Card" in echoed, echoed)

try:
    client.models.generate_content(model="gemini-2.5-flash", contents=f"Why does this fail? {SECRET}")
    check("gemini policy refusal", False, "no error raised")
except errors.ClientError as e:
    check("gemini policy refusal", e.code == 403 and e.status == "PERMISSION_DENIED", e)

t = client.models.count_tokens(model="gemini-2.5-flash", contents="count me")
check("gemini count_tokens", t.total_tokens == 12, t)

e = client.models.embed_content(model="text-embedding-004", contents="embed me")
check("gemini embed_content", len(e.embeddings[0].values) == 3, e)

# An upstream failure reaches the SDK in Google's error shape (raised as a ServerError).
try:
    client.models.generate_content(model="gemini-mock-error", contents="hi")
    check("gemini upstream error", False, "no error raised")
except errors.ServerError as e:
    check("gemini upstream error", e.code == 500 and e.status == "INTERNAL", e)

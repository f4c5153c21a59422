"""Drive aimsgate with the official OpenAI and Anthropic Python SDKs, changing only the base URL.

Run by tests/it/sdk_e2e.rs against a gateway in front of the mock provider. Prints `ok <case>`
per passing case and exits non-zero on the first failure.
"""
import os
import sys

import anthropic
import openai

BASE = os.environ["AIMSGATE_URL"]
EXPECTED = os.environ["EXPECTED_REPLY"]


def check(case, cond, detail=""):
    if not cond:
        print(f"FAIL {case}: {detail}")
        sys.exit(1)
    print(f"ok {case}")


oa = openai.OpenAI(base_url=f"{BASE}/v1", api_key="sk-e2e-caller-key-0001", max_retries=0)

r = oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
check("openai chat", r.choices[0].message.content == EXPECTED, r)

chunks = []
with oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True) as s:
    for c in s:
        if c.choices and c.choices[0].delta.content:
            chunks.append(c.choices[0].delta.content)
check("openai chat stream", "".join(chunks) == EXPECTED and len(chunks) > 1, chunks)

r = oa.responses.create(model="gpt-4o-mini", input="hi")
check("openai responses", r.output_text == EXPECTED, r)

deltas = []
with oa.responses.stream(model="gpt-4o-mini", input="hi") as s:
    for ev in s:
        if ev.type == "response.output_text.delta":
            deltas.append(ev.delta)
check("openai responses stream", "".join(deltas) == EXPECTED, deltas)

e = oa.embeddings.create(model="text-embedding-3-small", input="hello")
check("openai embeddings", len(e.data[0].embedding) == 3, e)

models = [m.id for m in oa.models.list()]
check("openai models", "gpt-4o-mini" in models, models)

an = anthropic.Anthropic(base_url=BASE, api_key="sk-ant-e2e-caller-0002", max_retries=0)
m = an.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}])
check("anthropic messages", m.content[0].text == EXPECTED, m)

with an.messages.stream(model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
    text = "".join(s.text_stream)
check("anthropic messages stream", text == EXPECTED, text)

t = an.messages.count_tokens(model="claude-sonnet-4-5", messages=[{"role": "user", "content": "hi"}])
check("anthropic count_tokens", t.input_tokens == 12, t)

# Gateway refusals surface as readable SDK exceptions carrying aimsgate's message.
try:
    oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * 70000}])
    check("openai refusal error", False, "expected an error")
except openai.APIStatusError as err:
    check("openai refusal error", err.status_code == 413 and "gateway limit" in str(err), str(err))

bad = anthropic.Anthropic(base_url=BASE, api_key="agk_" + "0" * 43, max_retries=0)
try:
    bad.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    check("anthropic auth error", False, "expected 401")
except anthropic.AuthenticationError as err:
    check("anthropic auth error", err.status_code == 401 and "aimsgate key" in str(err), str(err))

# A policy refusal (a credential in the prompt) is a PermissionDeniedError naming the rule and the fix.
SECRET = "why does this fail? aws_access_key_id=AKIAQX4BZL7NW2MOSR6T aws_secret_access_key=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"
try:
    oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": SECRET}])
    check("openai policy refusal", False, "expected 403")
except openai.PermissionDeniedError as err:
    check("openai policy refusal", "block-secrets" in str(err) and "how to fix" in str(err), str(err))
try:
    an.messages.create(model="claude-sonnet-4-5", max_tokens=8, messages=[{"role": "user", "content": SECRET}])
    check("anthropic policy refusal", False, "expected 403")
except anthropic.PermissionDeniedError as err:
    check("anthropic policy refusal", "block-secrets" in str(err), str(err))

"""Drive aimsgate with boto3's `bedrock-runtime` client, changing only `endpoint_url`; the
caller's aimsgate virtual key is its AWS access key id (the secret key is not checked).

Run by tests/it/sdk_e2e.rs against a gateway whose `bedrock` upstream is the mock provider.
Prints `ok <case>` per passing case and exits non-zero on the first failure.
"""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

BASE = os.environ["AIMSGATE_URL"]
EXPECTED = os.environ["EXPECTED_REPLY"]
VKEY = os.environ["AIMSGATE_VKEY"]
CARD = "4539 1488 0343 6467"
SECRET = "aws_secret_access_key=Jx9vQ2mT7rL4kP8sW1nZ5cB3dF6gH0yE2uR4tI7o"
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"


def check(case, cond, detail=""):
    if not cond:
        print(f"FAIL {case}: {detail}")
        sys.exit(1)
    print(f"ok {case}")


def client(access_key):
    c = boto3.client(
        "bedrock-runtime",
        endpoint_url=BASE,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="not-checked-by-aimsgate",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )

    def ai_system(request, **_):
        request.headers["x-aimsgate-ai-system"] = "general-assistant"

    c.meta.events.register("before-sign.bedrock-runtime.*", ai_system)
    return c


br = client(VKEY)


def msgs(text):
    return [{"role": "user", "content": [{"text": text}]}]


r = br.converse(modelId=MODEL, messages=msgs("Say hello."), inferenceConfig={"maxTokens": 64})
text = r["output"]["message"]["content"][0]["text"]
check("bedrock converse", text == EXPECTED, r)
check("bedrock usage", r["usage"]["inputTokens"] == 12 and r["usage"]["outputTokens"] == 9, r["usage"])

s = br.converse_stream(modelId=MODEL, messages=msgs("Say hello."))
parts, usage = [], None
for ev in s["stream"]:
    if "contentBlockDelta" in ev:
        parts.append(ev["contentBlockDelta"]["delta"]["text"])
    if "metadata" in ev:
        usage = ev["metadata"]["usage"]
check("bedrock converse_stream", "".join(parts) == EXPECTED and len(parts) > 1, parts)
check("bedrock stream usage", usage and usage["outputTokens"] == 9, usage)

r = br.converse(modelId="anthropic.claude-mock-echo", messages=msgs(f"Charge {CARD} please"))
echoed = r["output"]["message"]["content"][0]["text"]
check("bedrock redaction", CARD not in echoed and "Charge " in echoed, echoed)

s = br.converse_stream(modelId="anthropic.claude-mock-echo", messages=msgs(f"Charge {CARD} please"))
streamed = "".join(
    ev["contentBlockDelta"]["delta"]["text"] for ev in s["stream"] if "contentBlockDelta" in ev
)
check("bedrock stream redaction", CARD not in streamed and "Charge " in streamed, streamed)

try:
    br.converse(modelId=MODEL, messages=msgs(SECRET))
    check("bedrock policy refusal", False, "no error raised")
except ClientError as e:
    err = e.response["Error"]
    status = e.response["ResponseMetadata"]["HTTPStatusCode"]
    check(
        "bedrock policy refusal",
        err["Code"] == "AccessDeniedException" and status == 403 and "secret" in err["Message"],
        e.response,
    )

try:
    br.converse_stream(modelId=MODEL, messages=msgs(SECRET))
    check("bedrock stream policy refusal", False, "no error raised")
except ClientError as e:
    check("bedrock stream policy refusal", e.response["Error"]["Code"] == "AccessDeniedException", e.response)

try:
    client("AKIAIOSFODNN7EXAMPLE").converse(modelId=MODEL, messages=msgs("hi"))
    check("bedrock own aws key refused", False, "no error raised")
except ClientError as e:
    check("bedrock own aws key refused", e.response["Error"]["Code"] == "UnrecognizedClientException", e.response)

try:
    br.converse(modelId="anthropic.claude-mock-error", messages=msgs("hi"))
    check("bedrock upstream error", False, "no error raised")
except ClientError as e:
    check("bedrock upstream error", e.response["Error"]["Code"] == "InternalServerException", e.response)

# InvokeModel in the Anthropic-on-Bedrock shape.
body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]})
r = br.invoke_model(modelId=MODEL, body=body)
check("bedrock invoke_model", json.loads(r["body"].read())["content"][0]["text"] == EXPECTED)
r = br.invoke_model_with_response_stream(modelId=MODEL, body=body)
deltas = []
for ev in r["body"]:
    e = json.loads(ev["chunk"]["bytes"])
    if e.get("type") == "content_block_delta":
        deltas.append(e["delta"]["text"])
check("bedrock invoke_model_with_response_stream", "".join(deltas) == EXPECTED, deltas)

"""The official openai client against `phronesis serve`. usage: openai_client.py BASE_URL MODEL API_KEY
Prints one line per check: 'ok <name>' or raises."""
import json, sys
import openai

base, model, key = sys.argv[1], sys.argv[2], sys.argv[3]
c = openai.OpenAI(base_url=base, api_key=key, max_retries=0)
msgs = [{"role": "user", "content": "the agent reads the file"}]

ids = [m.id for m in c.models.list().data]
assert model in ids, ids
print("ok models", ids)

whole = c.chat.completions.create(model=model, messages=msgs, temperature=0, max_tokens=16)
text = whole.choices[0].message.content
assert whole.usage.completion_tokens >= 1 and whole.choices[0].finish_reason in ("stop", "length")
print("ok chat", repr(text))

parts, usage, finish = [], None, None
for chunk in c.chat.completions.create(model=model, messages=msgs, temperature=0, max_tokens=16, stream=True,
                                       stream_options={"include_usage": True}):
    if chunk.usage is not None: usage = chunk.usage
    for ch in chunk.choices:
        if ch.delta.content: parts.append(ch.delta.content)
        if ch.finish_reason: finish = ch.finish_reason
assert "".join(parts) == text, ("".join(parts), text)
assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens, usage
assert finish == whole.choices[0].finish_reason
print("ok stream joins to the whole answer", len(parts), "chunks")

tools = [{"type": "function", "function": {"name": "send_report", "description": "send a report",
          "parameters": {"type": "object", "properties": {"to": {"type": "string", "maxLength": 6}, "urgent": {"type": "boolean"}},
                         "required": ["to", "urgent"]}}}]
r = c.chat.completions.create(model=model, messages=msgs, tools=tools, tool_choice="required", temperature=0.7, seed=3, max_tokens=120)
m = r.choices[0].message
assert r.choices[0].finish_reason == "tool_calls", r
call = m.tool_calls[0]
args = json.loads(call.function.arguments)
assert call.function.name == "send_report" and isinstance(args["to"], str) and isinstance(args["urgent"], bool), args
follow = msgs + [{"role": "assistant", "content": None, "tool_calls": [{"id": call.id, "type": "function",
                 "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
                 {"role": "tool", "tool_call_id": call.id, "content": "sent"}]
r2 = c.chat.completions.create(model=model, messages=follow, tools=tools, temperature=0, max_tokens=8)
assert r2.choices[0].message.role == "assistant"
print("ok tools round trip", call.function.name, args)

schema = {"type": "object", "properties": {"mode": {"enum": ["comply", "refuse", "escalate"]}, "confidence": {"type": "integer"},
          "reasons": {"type": "array", "items": {"type": "string", "maxLength": 5}, "minItems": 1, "maxItems": 2}},
          "required": ["mode", "confidence", "reasons"], "additionalProperties": False}
r = c.chat.completions.create(model=model, messages=msgs, temperature=1.0, seed=5, max_tokens=150,
                              response_format={"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema, "strict": True}})
obj = json.loads(r.choices[0].message.content)
assert set(obj) == {"mode", "confidence", "reasons"} and obj["mode"] in schema["properties"]["mode"]["enum"]
assert isinstance(obj["confidence"], int) and 1 <= len(obj["reasons"]) <= 2 and all(isinstance(x, str) and len(x) <= 5 for x in obj["reasons"])
print("ok json_schema", obj)

r = c.chat.completions.create(model=model, messages=msgs, temperature=0, max_tokens=4, logprobs=True, top_logprobs=3)
lp = r.choices[0].logprobs.content
assert len(lp) == r.usage.completion_tokens and all(len(t.top_logprobs) == 3 and t.logprob <= 0 for t in lp)
print("ok logprobs")

for bad, kind in [({"temperature": "NaN"}, openai.BadRequestError), ({"max_tokens": 2**32 + 5}, openai.BadRequestError),
                  ({"n": 1000}, openai.BadRequestError), ({"model": "no-such-model"}, openai.NotFoundError)]:
    args = dict(model=model, messages=msgs, max_tokens=4)
    args.update(bad)
    try:
        c.chat.completions.create(**args)
        raise AssertionError("accepted " + json.dumps(bad))
    except kind as e:
        assert e.status_code in (400, 404) and e.body and "message" in e.body, e
print("ok malformed requests are 4xx")

try:
    openai.OpenAI(base_url=base, api_key="wrong", max_retries=0).models.list()
    raise AssertionError("a wrong key was accepted")
except openai.AuthenticationError:
    print("ok wrong key is 401")

comp = c.completions.create(model=model, prompt="the agent", max_tokens=5, temperature=0)
assert comp.choices[0].text is not None and comp.usage.completion_tokens >= 1
print("ok completions", repr(comp.choices[0].text))

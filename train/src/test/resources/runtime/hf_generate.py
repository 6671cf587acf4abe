"""Writes tiny random checkpoints with transformers' own save_pretrained and records what
transformers' greedy generate produces on them (plain text and chat-template prompts).

usage: hf_generate.py OUT_DIR
OUT_DIR/<name>/ is a checkpoint; OUT_DIR/expected.json maps name -> cases."""
import json, os, sys
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from transformers import (PreTrainedTokenizerFast, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM,
                          Qwen3Config, Qwen3ForCausalLM)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)

corpus = ["the agent reads the file and sends a report to the user",
          "a user asks what to do when the tool returns an error",
          "DECISION: comply and call the tool with the arguments",
          "<think> weigh the harm and the benefit </think> then answer"] * 50
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
# ChatML with the Hermes/Qwen tools block
template = ("{%- if tools %}<|im_start|>system\nYou may call tools.\n<tools>\n{%- for t in tools %}\n{{ t | tojson }}\n{%- endfor %}\n</tools>\n"
            "Answer with <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>.<|im_end|>\n{%- endif %}"
            "{%- for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{%- endfor %}"
            "{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}")
hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=template)
V = len(hf_tok)
eos = hf_tok.convert_tokens_to_ids("<|im_end|>")
common = dict(vocab_size=V, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
              max_position_embeddings=512, initializer_range=0.1, eos_token_id=eos, bos_token_id=None, pad_token_id=None)
variants = {
    "llama": (LlamaConfig, LlamaForCausalLM, dict(tie_word_embeddings=False), {}),
    "llama-t4": (LlamaConfig, LlamaForCausalLM, dict(tie_word_embeddings=True), {}),
    "llama3-rope-bf16-sharded": (LlamaConfig, LlamaForCausalLM, dict(rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
        "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}), dict(dtype=torch.bfloat16, max_shard_size="60KB")),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, dict(tie_word_embeddings=True), {}),
    "qwen3": (Qwen3Config, Qwen3ForCausalLM, dict(head_dim=32, tie_word_embeddings=False), {}),
}
prompts = ["the agent reads", "a user asks what to do when"]
chats = [[{"role": "user", "content": "the agent reads the file"}],
         [{"role": "system", "content": "weigh the harm"}, {"role": "user", "content": "what to do when the tool returns an error"}]]
tools = [{"type": "function", "function": {"name": "send_report", "description": "send a report",
          "parameters": {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]}}}]
expected = {}
for name, (Cfg, Model, extra, save) in variants.items():
    torch.manual_seed(len(name))
    cfg = Cfg(**common, **extra)
    model = Model(cfg).eval()
    with torch.no_grad():  # biases (qwen2) and norms off their trivial init, so every tensor matters
        for n, p in model.named_parameters():
            if n.endswith("bias") or "norm" in n: p.add_(torch.randn_like(p) * 0.1)
    d = os.path.join(out, name)
    dtype = save.get("dtype")
    saved = model.to(dtype) if dtype is not None else model
    saved.save_pretrained(d, **({"max_shard_size": save["max_shard_size"]} if "max_shard_size" in save else {}))
    hf_tok.save_pretrained(d)
    if name == "llama-t4":  # the transformers 4 config format: rope_theta / rope_scaling at top level
        c = json.load(open(os.path.join(d, "config.json")))
        rp = c.pop("rope_parameters", None) or {}
        c["rope_theta"] = rp.get("rope_theta", 10000.0)
        c["rope_scaling"] = None
        c["torch_dtype"] = c.pop("dtype", "float32")
        c["transformers_version"] = "4.46.0"
        json.dump(c, open(os.path.join(d, "config.json"), "w"), indent=2)
    # what transformers generates, computed in float32 as our runtime does
    ref = Model.from_pretrained(d, dtype=torch.float32).eval()
    cases = []
    def run(ids):
        with torch.no_grad():
            g = ref.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long), max_new_tokens=24,
                             do_sample=False, eos_token_id=eos, pad_token_id=eos)
        new = g[0, len(ids):].tolist()
        if new and new[-1] == eos: new = new[:-1]
        return new
    for p in prompts:
        ids = hf_tok.encode(p, add_special_tokens=False)
        cases.append({"kind": "plain", "text": p, "prompt_ids": ids, "generated": run(ids)})
    for i, m in enumerate(chats):
        t = tools if i == 1 else None
        ids = hf_tok.apply_chat_template(m, tools=t, add_generation_prompt=True, tokenize=True, return_dict=False)
        if isinstance(ids, dict): ids = ids["input_ids"]
        cases.append({"kind": "chat", "messages": m, "tools": t, "prompt_ids": list(ids), "generated": run(list(ids))})
    expected[name] = cases
json.dump(expected, open(os.path.join(out, "expected.json"), "w"), indent=1)
print("wrote", ", ".join(expected))

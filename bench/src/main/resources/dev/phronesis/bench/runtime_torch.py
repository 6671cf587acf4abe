"""transformers' own side of RuntimeBench: writes the random Llama checkpoint (save_pretrained) when
it is missing, then times greedy generate at each batch size. One JSON line on stdout."""
import json, os, sys, time
import torch
from transformers import LlamaConfig, LlamaForCausalLM

a = json.loads(sys.argv[1])
torch.set_num_threads(a["threads"])
d = a["dir"]
if not os.path.exists(os.path.join(d, "config.json")):
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=a["vocab"], hidden_size=a["hidden"], intermediate_size=a["intermediate"], num_hidden_layers=a["layers"],
                      num_attention_heads=a["heads"], num_key_value_heads=a["kv_heads"], max_position_embeddings=1024, tie_word_embeddings=True,
                      eos_token_id=None, bos_token_id=None, pad_token_id=None)
    LlamaForCausalLM(cfg).save_pretrained(d)
    print(json.dumps({"wrote": d}), file=sys.stderr)
    if a.get("write_only"): sys.exit(0)
model = LlamaForCausalLM.from_pretrained(d, dtype=torch.float32).eval()
P, N, V = a["prompt_len"], a["new_tokens"], a["vocab"]
out = {"parameters": sum(p.numel() for p in model.parameters())}
for b in a["batches"]:
    ids = torch.tensor([[(i * 31 + j * 7 + 1) % V for j in range(P)] for i in range(b)])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        model.generate(ids, attention_mask=mask, max_new_tokens=2, min_new_tokens=2, do_sample=False, pad_token_id=0)  # warm-up
        t0 = time.perf_counter()
        g = model.generate(ids, attention_mask=mask, max_new_tokens=N, min_new_tokens=N, do_sample=False, pad_token_id=0)
        dt = time.perf_counter() - t0
    out[str(b)] = b * (g.shape[1] - P) / dt
print(json.dumps(out))

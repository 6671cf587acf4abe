"""PyTorch eager baseline for LoraBench: LoRA training steps on the same checkpoint, same shapes."""
import json, sys, time
import torch
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

a = json.loads(sys.argv[1])
torch.set_num_threads(a["threads"])
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(a["dir"], dtype=torch.float32)
model = get_peft_model(model, LoraConfig(r=a["r"], lora_alpha=a["alpha"], lora_dropout=0.0, target_modules=a["targets"], bias="none", task_type="CAUSAL_LM"))
model.train()
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.0)
ids = torch.randint(0, a["vocab"], (a["batch"], a["seq"]))


def step():
    out = model(input_ids=ids, labels=ids)
    out.loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)


for _ in range(a["warmup"]):
    step()
t0 = time.perf_counter()
for _ in range(a["steps"]):
    step()
dt = time.perf_counter() - t0
print(json.dumps({"seconds_per_step": dt / a["steps"], "tokens_per_s": a["batch"] * (a["seq"] - 1) * a["steps"] / dt}))

"""PyTorch peer for Phronesis' Hugging Face tests: makes checkpoints with transformers and computes
reference logits. One process runs a list of jobs (importing torch costs seconds)."""
import json, sys
import torch
from safetensors.torch import save_file
import transformers as T

jobs = json.load(open(sys.argv[1]))
torch.manual_seed(0)
COMMON = dict(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6)


def make(arch):
    if arch == "llama":
        cfg = T.LlamaConfig(**COMMON, tie_word_embeddings=False,
                            rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                          "original_max_position_embeddings": 32}, rope_theta=500000.0)
        return T.LlamaForCausalLM(cfg)
    if arch == "qwen2":
        return T.Qwen2ForCausalLM(T.Qwen2Config(**COMMON, tie_word_embeddings=True, rope_theta=1000000.0))
    if arch == "qwen3":
        return T.Qwen3ForCausalLM(T.Qwen3Config(**COMMON, head_dim=32, tie_word_embeddings=True))
    sys.exit("unknown arch " + arch)


for job in jobs:
    ids = torch.tensor(job["ids"], dtype=torch.long)
    if job["mode"] == "make":
        model = make(job["arch"])
        with torch.no_grad():  # norms and biases away from their init so the test sees them
            for n, prm in model.named_parameters():
                if n.endswith("norm.weight") or n.endswith(".bias"):
                    prm.add_(0.1 * torch.randn_like(prm))
        model = model.to(getattr(torch, job.get("dtype", "float32")))
        kw = {"max_shard_size": job["shard"]} if job.get("shard") else {}
        model.save_pretrained(job["dir"], safe_serialization=True, **kw)
    # reference logits always from the files on disk, computed in float32
    model = T.AutoModelForCausalLM.from_pretrained(job["dir"], dtype=torch.float32)
    if job.get("adapter"):
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, job["adapter"])
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=ids).logits.float().contiguous()
    save_file({"logits": logits}, job["out"])
    print("ok", job["mode"], job["dir"], tuple(logits.shape), flush=True)

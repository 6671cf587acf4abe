"""An independent Llama forward/training loop in plain PyTorch, for parity tests and benchmarks.

Usage:
  llama_ref.py forward (CKPT_DIR IDS_JSON OUT_BIN)+  logits of ids (list of rows) as float32 little-endian
  llama_ref.py forward-hf CKPT_DIR IDS_JSON OUT_BIN  the same through transformers.LlamaForCausalLM
  llama_ref.py bench CONFIG_JSON BATCH SEQ STEPS THREADS   prints JSON {"tokens_per_s": ...} of AdamW training steps
"""
import json, math, sys, time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch is not importable", file=sys.stderr)
    sys.exit(3)  # callers skip on 3


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        h, hd = c["hidden_size"], c.get("head_dim", c["hidden_size"] // c["num_attention_heads"])
        self.hd, self.nh, self.nkv = hd, c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
        self.embed = torch.nn.Parameter(torch.randn(c["vocab_size"], h) * 0.02)
        self.layers = torch.nn.ModuleList()
        for _ in range(c["num_hidden_layers"]):
            l = torch.nn.Module()
            l.q = torch.nn.Linear(h, self.nh * hd, bias=False)
            l.k = torch.nn.Linear(h, self.nkv * hd, bias=False)
            l.v = torch.nn.Linear(h, self.nkv * hd, bias=False)
            l.o = torch.nn.Linear(self.nh * hd, h, bias=False)
            l.gate = torch.nn.Linear(h, c["intermediate_size"], bias=False)
            l.up = torch.nn.Linear(h, c["intermediate_size"], bias=False)
            l.down = torch.nn.Linear(c["intermediate_size"], h, bias=False)
            l.n1 = torch.nn.Parameter(torch.ones(h))
            l.n2 = torch.nn.Parameter(torch.ones(h))
            self.layers.append(l)
        self.norm = torch.nn.Parameter(torch.ones(h))
        self.tied = c.get("tie_word_embeddings", False)
        if not self.tied:
            self.head = torch.nn.Parameter(torch.randn(c["vocab_size"], h) * 0.02)
        inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
        pos = torch.arange(c["max_position_embeddings"], dtype=torch.float32)
        f = torch.outer(pos, inv)
        emb = torch.cat([f, f], dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c.get("rms_norm_eps", 1e-6)) * w

    @staticmethod
    def rot(x):
        a, b = x.chunk(2, dim=-1)
        return torch.cat([-b, a], dim=-1)

    def forward(self, ids):
        B, T = ids.shape
        x = self.embed[ids]
        cos, sin = self.cos[:T][None, None], self.sin[:T][None, None]
        mask = torch.full((T, T), float("-inf")).triu(1)
        g = self.nh // self.nkv
        for l in self.layers:
            h = self.rms(x, l.n1)
            q = l.q(h).view(B, T, self.nh, self.hd).transpose(1, 2)
            k = l.k(h).view(B, T, self.nkv, self.hd).transpose(1, 2)
            v = l.v(h).view(B, T, self.nkv, self.hd).transpose(1, 2)
            q = q * cos + self.rot(q) * sin
            k = k * cos + self.rot(k) * sin
            k = k.repeat_interleave(g, dim=1)
            v = v.repeat_interleave(g, dim=1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
            o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, self.nh * self.hd)
            x = x + l.o(o)
            h = self.rms(x, l.n2)
            x = x + l.down(F.silu(l.gate(h)) * l.up(h))
        x = self.rms(x, self.norm)
        return x @ (self.embed if self.tied else self.head).t()

    def load_hf(self, sd):
        m = {"model.embed_tokens.weight": self.embed, "model.norm.weight": self.norm}
        if not self.tied:
            m["lm_head.weight"] = self.head
        for i, l in enumerate(self.layers):
            p = f"model.layers.{i}."
            for n, mod in [("self_attn.q_proj", l.q), ("self_attn.k_proj", l.k), ("self_attn.v_proj", l.v),
                           ("self_attn.o_proj", l.o), ("mlp.gate_proj", l.gate), ("mlp.up_proj", l.up), ("mlp.down_proj", l.down)]:
                m[p + n + ".weight"] = mod.weight
            m[p + "input_layernorm.weight"] = l.n1
            m[p + "post_attention_layernorm.weight"] = l.n2
        with torch.no_grad():
            for k, t in m.items():
                t.copy_(sd[k])


def main():
    mode = sys.argv[1]
    if mode == "forward":
        try:
            from safetensors.torch import load_file
        except ImportError:
            print("safetensors is not importable", file=sys.stderr)
            sys.exit(3)
        args = sys.argv[2:]
        for i in range(0, len(args), 3):  # one or more CKPT_DIR IDS_JSON OUT_BIN triples
            ck, ids_file, out = args[i:i + 3]
            c = json.load(open(ck + "/config.json"))
            m = Llama(c)
            m.load_hf(load_file(ck + "/model.safetensors"))
            ids = torch.tensor(json.load(open(ids_file)), dtype=torch.long)
            with torch.no_grad():
                logits = m(ids).float().contiguous().numpy()
            open(out, "wb").write(logits.astype("<f4").tobytes())
    elif mode == "forward-hf":
        # the same through transformers' LlamaForCausalLM, reading our checkpoint directory as is
        from transformers import LlamaForCausalLM
        ck, ids_file, out = sys.argv[2], sys.argv[3], sys.argv[4]
        m = LlamaForCausalLM.from_pretrained(ck, torch_dtype=torch.float32, attn_implementation="eager")
        ids = torch.tensor(json.load(open(ids_file)), dtype=torch.long)
        with torch.no_grad():
            logits = m(ids).logits.float().contiguous().numpy()
        open(out, "wb").write(logits.astype("<f4").tobytes())
    elif mode == "bench":
        c = json.load(open(sys.argv[2]))
        B, T, steps, threads = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        m = Llama(c)
        opt = torch.optim.AdamW(m.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
        ids = torch.randint(0, c["vocab_size"], (B, T + 1))
        def step():
            logits = m(ids[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
        for _ in range(3):
            step()
        t = time.perf_counter()
        for _ in range(steps):
            step()
        dt = time.perf_counter() - t
        print(json.dumps({"tokens_per_s": B * T * steps / dt, "steps_per_s": steps / dt}))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()

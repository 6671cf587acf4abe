#!/usr/bin/env python3
"""LoRA SFT of a Hugging Face causal LM on a Phronesis dataset, written by `phronesis train export`.

Trains on the same rows as Phronesis' built-in trainer, with the same assistant-only loss mask:
each conversation is rendered with the tokenizer's own chat template; an assistant turn's span is
the text between render(messages[:i], add_generation_prompt=True) and render(messages[:i+1]); a token
is trained on iff its first character lies in such a span. Writes a PEFT adapter
(adapter_config.json + adapter_model.safetensors) that `phronesis` loads back for evaluation.

    python train.py                       # one GPU or CPU, settings from train_config.json
    accelerate launch train.py            # several GPUs (DDP); see README.md for DeepSpeed / FSDP
    python train.py --max-steps 3 --dump-rows rows.json   # a smoke run that also writes the tokenised rows
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_config(path):
    with open(path) as f:
        return json.load(f)


def assistant_text(reasoning, response):
    """The assistant turn of a Phronesis sample: reasoning in a think span, then the answer."""
    if reasoning is None or not reasoning.strip():
        return response
    return "<think>\n" + reasoning.strip() + "\n</think>\n\n" + response


def conversations(path):
    chats = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{lineno}: not valid JSON: {e}")
            msgs = [{"role": m["role"], "content": m.get("content") or ""} for m in row.get("messages", [])]
            if row.get("response"):
                msgs.append({"role": "assistant", "content": assistant_text(row.get("reasoning", ""), row["response"])})
            if not any(m["role"] == "assistant" for m in msgs):
                sys.exit(f"{path}:{lineno}: no assistant turn to train on")
            chats.append(msgs)
    return chats


def render(tok, msgs, add_generation_prompt):
    if not msgs:
        return ""
    return tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=add_generation_prompt)


def encode(tok, msgs, max_len):
    """(input_ids, mask) of one conversation; mask[i] = 1 where token i is trained on."""
    full = render(tok, msgs, False)
    spans = []
    for i, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        before = render(tok, msgs[:i], True)
        through = render(tok, msgs[: i + 1], False)
        if not through.startswith(before) or not full.startswith(through):
            sys.exit("the chat template is not prefix-stable; the assistant-only mask cannot be derived")
        spans.append((len(before), len(through)))
    enc = tok(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = enc["input_ids"]
    mask = [1 if any(s <= start < e for s, e in spans) else 0 for start, _ in enc["offset_mapping"]]
    return ids[:max_len], mask[:max_len]


def rows(tok, chats, max_len):
    out = []
    for msgs in chats:
        ids, mask = encode(tok, msgs, max_len)
        if any(mask[1:]):
            out.append({"input_ids": ids, "mask": mask})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=os.path.join(HERE, "train_config.json"))
    ap.add_argument("--max-steps", type=int, default=None, help="override max_steps (e.g. a smoke run)")
    ap.add_argument("--output-dir", default=None, help="override output_dir")
    ap.add_argument("--target", choices=["peft", "trl"], default=None, help="override the trainer")
    ap.add_argument("--dump-rows", default=None, help="write the tokenised rows (ids + mask) as JSON and go on")
    args = ap.parse_args()
    cfg = load_config(args.config)
    rel = lambda p: p if os.path.isabs(p) else os.path.join(os.path.dirname(os.path.abspath(args.config)), p)
    target = args.target or cfg["target"]
    out_dir = rel(args.output_dir or cfg["output_dir"])
    max_steps = args.max_steps if args.max_steps is not None else cfg["max_steps"]

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import LoraConfig, get_peft_model

    base = cfg["base_model"]
    base = rel(base) if os.path.exists(rel(base)) else base  # a local directory, else a Hub id
    tok = AutoTokenizer.from_pretrained(base)
    if tok.chat_template is None:
        sys.exit(f"{base}: tokenizer_config.json has no 'chat_template'")
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    data = rows(tok, conversations(rel(cfg["dataset"])), cfg["max_len"])
    if not data:
        sys.exit("no row has an assistant token inside max_len")
    if args.dump_rows:
        with open(args.dump_rows, "w") as f:
            json.dump(data, f)
    print(f"{len(data)} rows, {sum(sum(r['mask']) for r in data)} trained tokens", flush=True)

    bf16 = cfg.get("bf16", "auto")
    use_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported() if bf16 == "auto" else bool(bf16)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16 if use_bf16 else torch.float32)
    lora = cfg["lora"]
    peft_config = LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=lora["lora_dropout"],
                             target_modules=lora["target_modules"], bias="none", task_type="CAUSAL_LM")
    common = dict(output_dir=os.path.join(out_dir, "checkpoints"), max_steps=max_steps,
                  per_device_train_batch_size=cfg["batch_size"], gradient_accumulation_steps=cfg["grad_accum"],
                  learning_rate=cfg["lr"], lr_scheduler_type="constant_with_warmup", warmup_steps=cfg["warmup_steps"],
                  weight_decay=cfg["weight_decay"], max_grad_norm=cfg["grad_clip"], logging_steps=1, save_steps=cfg["save_steps"],
                  save_total_limit=2, seed=cfg["seed"], bf16=use_bf16, report_to=[], remove_unused_columns=False,
                  gradient_checkpointing=cfg.get("gradient_checkpointing", False))
    resume = cfg.get("resume", True) and os.path.isdir(common["output_dir"]) and any(
        d.startswith("checkpoint-") for d in os.listdir(common["output_dir"]))

    if target == "trl":
        try:
            from trl import SFTConfig, SFTTrainer
        except ImportError:
            print("trl is not installed; falling back to transformers + peft", flush=True)
            target = "peft"
    if target == "trl":
        from datasets import Dataset
        ds = Dataset.from_list([{"input_ids": r["input_ids"], "assistant_masks": r["mask"]} for r in data])
        trainer = SFTTrainer(model=model, args=SFTConfig(**common, max_length=cfg["max_len"], packing=False),
                             train_dataset=ds, processing_class=tok, peft_config=peft_config)
    else:
        from transformers import Trainer, TrainingArguments
        model = get_peft_model(model, peft_config)
        pad = tok.pad_token_id

        def collate(batch):
            n = max(len(r["input_ids"]) for r in batch)
            ids = torch.full((len(batch), n), pad, dtype=torch.long)
            labels = torch.full((len(batch), n), -100, dtype=torch.long)
            att = torch.zeros((len(batch), n), dtype=torch.long)
            for i, r in enumerate(batch):
                k = len(r["input_ids"])
                ids[i, :k] = torch.tensor(r["input_ids"])
                att[i, :k] = 1
                labels[i, :k] = torch.tensor([t if m else -100 for t, m in zip(r["input_ids"], r["mask"])])
            return {"input_ids": ids, "attention_mask": att, "labels": labels}

        trainer = Trainer(model=model, args=TrainingArguments(**common), train_dataset=data, data_collator=collate)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    print(f"target {target}: {trainable} trainable parameters", flush=True)
    trainer.train(resume_from_checkpoint=True if resume else None)
    if trainer.is_world_process_zero():
        adapter_dir = os.path.join(out_dir, "adapter")
        trainer.model.save_pretrained(adapter_dir, safe_serialization=True)
        tok.save_pretrained(adapter_dir)
        print(f"adapter written to {adapter_dir}", flush=True)


if __name__ == "__main__":
    main()

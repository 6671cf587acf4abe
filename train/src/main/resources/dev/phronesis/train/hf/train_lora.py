#!/usr/bin/env python3
"""LoRA SFT of a Hugging Face causal LM on a Phronesis dataset, written by `phronesis train export`.

Trains on the same rows as Phronesis' built-in trainer, with the same assistant-only loss mask:
each conversation is rendered with the tokenizer's own chat template; an assistant turn's span is
the text between render(messages[:i], add_generation_prompt=True) and render(messages[:i+1]); a token
is trained on iff its first character lies in such a span. Writes a PEFT adapter
(adapter_config.json + adapter_model.safetensors) that `phronesis` loads back for evaluation.

Reasoning: read from a sample's `reasoning`, an assistant message's `reasoning_content`, or a leading
<think> span of its content; handed to the template as `reasoning_content` when the template reads that
field, else kept inline as a <think> span. A row whose reasoning the template does not render is refused.
Context: rows are cut at min(max_len, max_position_embeddings); rows with nothing left to train on are
dropped; both are counted.

    python train.py                       # one GPU, or CPU (float32) when there is none
    accelerate launch train.py            # several GPUs (DDP); see README.md for DeepSpeed / FSDP
    accelerate launch --multi_gpu --num_processes 2 train.py   # without a GPU: two CPU processes, DDP over gloo
    python train.py --max-steps 3 --dump-rows rows.json   # a smoke run that also writes the tokenised rows

Mid-training (when the job was exported with documents, a "midtrain" section in train_config.json):
    python train.py --stage midtrain      # continued pre-training of the base on data/documents.jsonl, every token in the
                                          # loss (TRL SFTTrainer, dataset_text_field="text", completion_only_loss=False);
                                          # LoRA merged into full weights in out/midtrained ("lora": false: all parameters)
    python train.py                       # then SFT as above, from out/midtrained instead of the base
"""
import argparse
import json
import os
import re
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


INLINE_THINK = re.compile(r"\A\s*<think>(.*?)</think>\s*(.*)\Z", re.DOTALL)


def split_think(content):
    """(reasoning, answer) of an assistant turn with a leading think span, else ("", content)."""
    m = INLINE_THINK.match(content)
    return (m.group(1).strip(), m.group(2)) if m else ("", content)


def read_rows(path):
    """(where, row dict) of a JSONL or Parquet dataset."""
    with open(path, "rb") as f:
        parquet = f.read(4) == b"PAR1"
    if parquet:
        import pyarrow.parquet as pq
        for i, row in enumerate(pq.read_table(path).to_pylist(), 1):
            yield f"{path}:row {i}", row
        return
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{lineno}", json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{lineno}: not valid JSON: {e}")


def conversations(path):
    chats = []
    for where, row in read_rows(path):
        msgs = []
        for j, m in enumerate(row.get("messages") or []):
            content = m.get("content") or ""
            if m["role"] == "assistant":
                reasoning = m.get("reasoning_content") or ""
                inline, answer = split_think(content)
                if reasoning.strip() and inline:
                    sys.exit(f"{where}: messages[{j}]: reasoning given twice (field 'reasoning_content' and a <think> span in 'content')")
                content = assistant_text(reasoning, content) if reasoning.strip() else assistant_text(inline, answer)
            msgs.append({"role": m["role"], "content": content})
        if row.get("response") and not (msgs and msgs[-1]["role"] == "assistant"):  # parquet rows already end with the reply
            msgs.append({"role": "assistant", "content": assistant_text(row.get("reasoning") or "", split_think(row["response"])[1])})
        if not any(m["role"] == "assistant" for m in msgs):
            sys.exit(f"{where}: no assistant turn to train on")
        chats.append(msgs)
    if not chats:
        sys.exit(f"{path}: no rows")
    return chats


def for_template(tok, msgs):
    """Hands an assistant turn's think span to the template as reasoning_content when the template reads it."""
    if "reasoning_content" not in (tok.chat_template or ""):
        return msgs
    out = []
    for m in msgs:
        reasoning, answer = split_think(m["content"]) if m["role"] == "assistant" else ("", m["content"])
        out.append({"role": m["role"], "content": answer, "reasoning_content": reasoning} if reasoning else m)
    return out


def render(tok, msgs, add_generation_prompt):
    if not msgs:
        return ""
    return tok.apply_chat_template(for_template(tok, msgs), tokenize=False, add_generation_prompt=add_generation_prompt)


def encode(tok, msgs):
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
        reasoning = split_think(m["content"])[0]
        if reasoning and reasoning not in full[len(before):len(through)]:
            sys.exit(f"the chat template drops the reasoning of assistant message {i}; use a template that renders reasoning, or train the demonstration variant")
        spans.append((len(before), len(through)))
    enc = tok(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = enc["input_ids"]
    mask = [1 if any(s <= start < e for s, e in spans) else 0 for start, _ in enc["offset_mapping"]]
    return ids, mask


def rows(tok, chats, limit):
    """Rows under the context rule: cut at `limit` tokens; dropped when nothing is left to train on. Returns (rows, cut, dropped)."""
    out, cut, dropped = [], 0, 0
    for msgs in chats:
        ids, mask = encode(tok, msgs)
        longer = len(ids) > limit
        ids, mask = ids[:limit], mask[:limit]
        if any(mask[1:]):
            cut += longer
            out.append({"input_ids": ids, "mask": mask})
        else:
            dropped += 1
    return out, cut, dropped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=os.path.join(HERE, "train_config.json"))
    ap.add_argument("--max-steps", type=int, default=None, help="override max_steps (e.g. a smoke run)")
    ap.add_argument("--output-dir", default=None, help="override output_dir")
    ap.add_argument("--target", choices=["peft", "trl"], default=None, help="override the trainer")
    ap.add_argument("--dump-rows", default=None, help="write the tokenised rows (ids + mask) as JSON and go on")
    ap.add_argument("--stage", choices=["midtrain", "sft"], default="sft",
                    help="midtrain: continued pre-training on the documents (needs a 'midtrain' section); sft (default): LoRA SFT, "
                         "from the mid-trained model when the job has a 'midtrain' section")
    args = ap.parse_args()
    cfg = load_config(args.config)
    rel = lambda p: p if os.path.isabs(p) else os.path.join(os.path.dirname(os.path.abspath(args.config)), p)
    target = args.target or cfg["target"]
    if args.stage == "midtrain":
        if "midtrain" not in cfg:
            sys.exit(f"{args.config}: no 'midtrain' section (export the job with documents: phronesis train export --documents DOCS.jsonl)")
        return midtrain(cfg, args, rel, target)
    out_dir = rel(args.output_dir or cfg["output_dir"])
    max_steps = args.max_steps if args.max_steps is not None else cfg["max_steps"]

    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from peft import LoraConfig, get_peft_model

    base = cfg["base_model"]
    base = rel(base) if os.path.exists(rel(base)) else base  # a local directory, else a Hub id
    if "midtrain" in cfg:
        base = rel(cfg["midtrain"]["output_dir"])
        if not os.path.isfile(os.path.join(base, "config.json")):
            sys.exit(f"{base}: no mid-trained model yet; run `python train.py --stage midtrain` first")
        print(f"SFT from the mid-trained model {base}", flush=True)
    tok = AutoTokenizer.from_pretrained(base)
    if tok.chat_template is None:
        sys.exit(f"{base}: tokenizer_config.json has no 'chat_template'")
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    context = getattr(AutoConfig.from_pretrained(base), "max_position_embeddings", None) or cfg["max_len"]
    limit = min(cfg["max_len"], context)
    data, cut, dropped = rows(tok, conversations(rel(cfg["dataset"])), limit)
    if not data:
        sys.exit(f"no row has an assistant token inside {limit} tokens (min of max_len and max_position_embeddings)")
    if args.dump_rows:
        with open(args.dump_rows, "w") as f:
            json.dump(data, f)
    print(f"{len(data)} rows, {sum(sum(r['mask']) for r in data)} trained tokens ({cut} rows cut at {limit} tokens, "
          f"{dropped} dropped with nothing to train on inside it)", flush=True)

    bf16 = cfg.get("bf16", "auto")
    gpu = torch.cuda.is_available()
    world = int(os.environ.get("WORLD_SIZE", "1"))  # set by accelerate launch / torchrun
    use_bf16 = gpu and torch.cuda.is_bf16_supported() if bf16 == "auto" else bool(bf16) and gpu
    if bf16 is True and not gpu:
        print("no GPU: training in float32 (bf16 needs one)", flush=True)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16 if use_bf16 else torch.float32)
    lora = cfg["lora"]
    peft_config = LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=lora["lora_dropout"],
                             target_modules=lora["target_modules"], bias="none", task_type="CAUSAL_LM")
    common = dict(output_dir=os.path.join(out_dir, "checkpoints"), max_steps=max_steps,
                  per_device_train_batch_size=cfg["batch_size"], gradient_accumulation_steps=cfg["grad_accum"],
                  learning_rate=cfg["lr"], lr_scheduler_type="constant_with_warmup", warmup_steps=cfg["warmup_steps"],
                  weight_decay=cfg["weight_decay"], max_grad_norm=cfg["grad_clip"], logging_steps=1, save_steps=cfg["save_steps"],
                  save_total_limit=2, seed=cfg["seed"], bf16=use_bf16, use_cpu=not gpu, report_to=[], remove_unused_columns=False,
                  ddp_backend="gloo" if not gpu and world > 1 else None, ddp_find_unused_parameters=False if world > 1 else None,
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
    dist = torch.distributed.is_available() and torch.distributed.is_initialized()
    print(f"target {target}: {trainable} trainable parameters; {trainer.args.world_size} process(es), "
          f"{torch.distributed.get_backend() if dist else 'no'} process group, {'GPU' if gpu else 'CPU'}, {'bf16' if use_bf16 else 'float32'}", flush=True)
    trainer.train(resume_from_checkpoint=True if resume else None)
    adapter_dir = os.path.join(out_dir, "adapter")
    trainer.save_model(adapter_dir)  # every process takes part (FSDP / DeepSpeed gather); the main one writes
    if trainer.is_world_process_zero():
        tok.save_pretrained(adapter_dir)
        print(f"adapter written to {adapter_dir}", flush=True)


def midtrain(cfg, args, rel, target):
    """Continued pre-training on plain-text documents ({"text": ...} per line): every token in the loss."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import LoraConfig

    m = cfg["midtrain"]
    out_dir = rel(args.output_dir or m["output_dir"])
    max_steps = args.max_steps if args.max_steps is not None else m["max_steps"]
    base = cfg["base_model"]
    base = rel(base) if os.path.exists(rel(base)) else base
    texts = []
    with open(rel(m["dataset"]), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                t = json.loads(line).get("text")
            except (ValueError, AttributeError):
                t = None
            if not isinstance(t, str) or not t.strip():
                sys.exit(f"{m['dataset']}:{n}: a document needs a non-empty string field 'text'")
            texts.append(t)
    if not texts:
        sys.exit(f"{m['dataset']}: no documents")
    tok = AutoTokenizer.from_pretrained(base)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    gpu = torch.cuda.is_available()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    bf16 = cfg.get("bf16", "auto")
    use_bf16 = gpu and torch.cuda.is_bf16_supported() if bf16 == "auto" else bool(bf16) and gpu
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16 if use_bf16 else torch.float32)
    use_lora = m.get("lora", True)
    lora = cfg["lora"]
    peft_config = LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=lora["lora_dropout"],
                             target_modules=lora["target_modules"], bias="none", task_type="CAUSAL_LM") if use_lora else None
    common = dict(output_dir=os.path.join(out_dir, "checkpoints"), max_steps=max_steps,
                  per_device_train_batch_size=cfg["batch_size"], gradient_accumulation_steps=cfg["grad_accum"],
                  learning_rate=m["lr"], lr_scheduler_type="constant_with_warmup", warmup_steps=cfg["warmup_steps"],
                  weight_decay=cfg["weight_decay"], max_grad_norm=cfg["grad_clip"], logging_steps=1, save_steps=cfg["save_steps"],
                  save_total_limit=2, seed=cfg["seed"], bf16=use_bf16, use_cpu=not gpu, report_to=[],
                  ddp_backend="gloo" if not gpu and world > 1 else None, ddp_find_unused_parameters=False if world > 1 else None,
                  gradient_checkpointing=cfg.get("gradient_checkpointing", False))
    resume = cfg.get("resume", True) and os.path.isdir(common["output_dir"]) and any(
        d.startswith("checkpoint-") for d in os.listdir(common["output_dir"]))
    limit = m["max_len"]
    if target == "trl":
        try:
            from trl import SFTConfig, SFTTrainer
        except ImportError:
            print("trl is not installed; falling back to transformers Trainer", flush=True)
            target = "peft"
    if target == "trl":
        from datasets import Dataset
        trainer = SFTTrainer(model=model, args=SFTConfig(**common, max_length=limit, dataset_text_field="text",
                                                         completion_only_loss=False, packing=False),
                             train_dataset=Dataset.from_list([{"text": t} for t in texts]), processing_class=tok, peft_config=peft_config)
    else:
        from transformers import Trainer, TrainingArguments
        from peft import get_peft_model
        if use_lora:
            model = get_peft_model(model, peft_config)
        rows = [tok(t, truncation=True, max_length=limit)["input_ids"] for t in texts]
        pad = tok.pad_token_id

        def collate(batch):
            n = max(len(r) for r in batch)
            ids = torch.full((len(batch), n), pad, dtype=torch.long)
            labels = torch.full((len(batch), n), -100, dtype=torch.long)
            att = torch.zeros((len(batch), n), dtype=torch.long)
            for i, r in enumerate(batch):
                ids[i, :len(r)] = torch.tensor(r)
                labels[i, :len(r)] = torch.tensor(r)
                att[i, :len(r)] = 1
            return {"input_ids": ids, "attention_mask": att, "labels": labels}

        trainer = Trainer(model=model, args=TrainingArguments(**common, remove_unused_columns=False), train_dataset=rows, data_collator=collate)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    print(f"midtrain target {target}: {len(texts)} documents, every token in the loss (completion_only_loss off), "
          f"{'LoRA' if use_lora else 'all parameters'}: {trainable} trainable parameters, {'GPU' if gpu else 'CPU'}", flush=True)
    trainer.train(resume_from_checkpoint=True if resume else None)
    if use_lora:
        final = trainer.model.merge_and_unload()
    else:
        final = trainer.model
    if trainer.is_world_process_zero():
        final.save_pretrained(out_dir)
        tok.save_pretrained(out_dir)
        print(f"mid-trained model written to {out_dir}", flush=True)


if __name__ == "__main__":
    main()

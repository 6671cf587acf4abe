"""A tiny random Qwen2 checkpoint written by transformers' own save_pretrained (for tests): byte-level BPE tokenizer, ChatML
template (with {% generation %} markers when a second argument is given). Usage: tiny_checkpoint.py OUT_DIR [generation]"""
import sys, json
from transformers import Qwen2Config, Qwen2ForCausalLM, AutoTokenizer, PreTrainedTokenizerFast
from tokenizers import Tokenizer, models, pre_tokenizers, decoders
import torch
out = sys.argv[1]
# byte-level BPE without merges over the 256 bytes + ChatML specials
vocab = {}
from tokenizers.pre_tokenizers import ByteLevel
alphabet = ByteLevel.alphabet()
for i, ch in enumerate(sorted(alphabet)): vocab[ch] = i
tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
tk.decoder = decoders.ByteLevel()
tk.add_special_tokens(["<|im_start|>", "<|im_end|>", "<|endoftext|>"])
tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>")
tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.role == 'assistant' %}{% generation %}{{ m.content }}<|im_end|>\n"
                     "{% endgeneration %}{% else %}{{ m.content }}<|im_end|>\n{% endif %}{% endfor %}"
                     "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}") if len(sys.argv) > 2 else (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
torch.manual_seed(0)
cfg = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  max_position_embeddings=2048, tie_word_embeddings=True, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
Qwen2ForCausalLM(cfg).save_pretrained(out)
tok.save_pretrained(out)
print("ok", len(tok))

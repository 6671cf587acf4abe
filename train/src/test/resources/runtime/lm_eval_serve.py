"""lm-evaluation-harness (local-completions) against `phronesis serve` on a small local task the
script writes. usage: lm_eval_serve.py WORK_DIR COMPLETIONS_URL MODEL API_KEY"""
import json, os, sys
work, url, model, key = sys.argv[1:5]
os.environ["OPENAI_API_KEY"] = key
os.environ["HF_DATASETS_OFFLINE"] = "1"
from lm_eval import evaluator
from lm_eval.tasks import TaskManager

tasks = os.path.join(work, "tasks")
os.makedirs(tasks, exist_ok=True)
data = os.path.join(work, "echo.jsonl")
with open(data, "w") as f:
    for q, a in [("the agent reads", "the"), ("a user asks", "a"), ("send the report", "the"), ("what to do", "do")]:
        f.write(json.dumps({"question": q, "answer": a}) + "\n")
with open(os.path.join(tasks, "phronesis_echo.yaml"), "w") as f:
    f.write(f"""task: phronesis_echo
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{question}}}}"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: ["\\n"]
  max_gen_toks: 6
  do_sample: false
  temperature: 0
metric_list:
  - metric: exact_match
""")
res = evaluator.simple_evaluate(model="local-completions",
                                model_args=f"base_url={url},model={model},tokenizer_backend=None,tokenized_requests=False,num_concurrent=4,max_retries=1",
                                tasks=["phronesis_echo"], task_manager=TaskManager(include_path=tasks), limit=4)
r = res["results"]["phronesis_echo"]
n = res["n-samples"]["phronesis_echo"]
print("lm_eval results", json.dumps({k: v for k, v in r.items() if isinstance(v, (int, float))}), "samples", json.dumps(n))

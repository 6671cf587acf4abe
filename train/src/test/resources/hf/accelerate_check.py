"""Checks the accelerate configs `train export` writes the way `accelerate launch --config_file F` reads them,
without a GPU: accelerate's own loader (unknown top-level keys fail), every nested fsdp_/deepspeed key is a
known `accelerate launch` option, the launch validation, the environment the launcher hands the workers,
and the FSDP / DeepSpeed plugin built from that environment (DeepSpeed's only when deepspeed is installed).
Prints one line per file; exits 1 on the first problem."""
import os, sys, importlib.util
from accelerate.commands.config.config_args import load_config_from_file
from accelerate.commands.launch import launch_command_parser, _validate_launch_command
from accelerate.utils import launch as L

parser = launch_command_parser()
known = {a.dest for a in parser._actions}
clean_env = dict(os.environ)


def fail(msg):
    print("FAIL " + msg, flush=True)
    sys.exit(1)


for f in sys.argv[1:]:
    os.environ.clear(); os.environ.update(clean_env)
    cfg = load_config_from_file(f)
    nested = cfg.fsdp_config or cfg.deepspeed_config or {}
    unknown = [k for k in nested if k not in known]
    if unknown:
        fail(f"{f}: keys accelerate launch does not know: {unknown}")
    args = parser.parse_args(["--config_file", f, "train.py"])
    args, defaults, mp = _validate_launch_command(args)
    if args.use_fsdp:
        env = L.prepare_multi_gpu_env(args)
        os.environ.update(env)
        from accelerate.utils import FullyShardedDataParallelPlugin
        p = FullyShardedDataParallelPlugin()
        print(f"ok {f}: FSDP v{p.fsdp_version} {str(p.state_dict_type)} reshard={p.reshard_after_forward}"
              f" wrap={getattr(p.auto_wrap_policy, '__name__', p.auto_wrap_policy)} mixed={args.mixed_precision} processes={args.num_processes}", flush=True)
    elif args.use_deepspeed:
        args.deepspeed_fields_from_accelerate_config = ",".join(list(defaults.deepspeed_config.keys()) + (["mixed_precision"] if mp else []))
        _, env = L.prepare_deepspeed_cmd_env(args)
        if env.get("ACCELERATE_DEEPSPEED_ZERO_STAGE") is None:
            fail(f"{f}: no ZeRO stage reaches the workers")
        os.environ.update(env)
        from accelerate.utils import DeepSpeedPlugin
        d = DeepSpeedPlugin()
        zero = d.deepspeed_config.get("zero_optimization", {})
        ds = "deepspeed installed" if importlib.util.find_spec("deepspeed") else "deepspeed not installed here (needed on the cluster)"
        print(f"ok {f}: DeepSpeed ZeRO-{zero.get('stage')} offload optimizer={zero.get('offload_optimizer', {}).get('device')}"
              f" mixed={args.mixed_precision} processes={args.num_processes} ({ds})", flush=True)
    else:
        fail(f"{f}: neither FSDP nor DeepSpeed ({cfg.distributed_type})")

# Sourced by ./phronesis and ./run-tests: pins libtorch's CPU kernels so that a seed trains the same model on
# any x86-64 machine with AVX2, whatever wider vectors it also has (docs/train.md, "Same bits on another machine").
# ATen picks its kernels by the widest instructions the CPU has (AVX-512 where present), and the kernels of
# different widths round differently, so one seed trained other weights on an AVX-512 machine than on an AVX2 one.
# PHRONESIS_KERNELS=native leaves libtorch to choose (the machine's widest kernels); a value the user set
# for ATEN_CPU_CAPABILITY or MKL_CBWR is kept.
phronesis_pin_kernels() {
  [ "${PHRONESIS_KERNELS:-portable}" = native ] && return 0
  grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null || return 0
  export ATEN_CPU_CAPABILITY="${ATEN_CPU_CAPABILITY:-avx2}" MKL_CBWR="${MKL_CBWR:-AVX2}"
}

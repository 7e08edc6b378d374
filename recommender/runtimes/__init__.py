"""Where the backbone runs: PyTorch (the fp32 reference), ONNX Runtime, or OpenVINO with an int8
model.

- choice: which runtime runs (RECOMMENDER_RUNTIME, less what this machine cannot do);
- cpu: what the CPU offers (the cores this process may use, VNNI);
- model_files: the ONNX files the runtimes read, exported and quantised from a backbone;
- engines: those files run by ONNX Runtime or OpenVINO behind the Backbone interface.

RECOMMENDER_RUNTIME (read with a default, so the setting is optional):

- `torch`: the backbone in PyTorch, fp32 on the CPU; on a CUDA GPU with fp16 autocast
  (backbones.Backbone.feature_maps).
- `onnx`: the backbone exported to ONNX, fp32, run by ONNX Runtime on the CPU (1.5-3.7x
  PyTorch eager end to end on 2 cores; same vectors up to float rounding, cosine 1.0000).
- `onnx-int8`: the backbone exported to ONNX and statically quantised to int8 (QDQ,
  per-channel weights, uint8 activations calibrated on CALIBRATION_PHOTOS photos of the
  demo catalogue shipped in data/demo-catalogue/images), run by ONNX Runtime on the CPU.
  The layers a backbone names in `fp32_layers` stay in fp32: the first, high-resolution
  ones, where 8 bits lose the most (a per-layer sensitivity scan, docs/benchmarks.md).
  The model file is built once from the weights and those photos (`model_files.model_file`) into
  RECOMMENDER_MODEL_DIR (default VAR_DIR/models).
- `openvino-int8`: the same int8 model run by OpenVINO, which computes the fp32 layers in
  bf16 where the CPU has bf16 instructions (AVX512-BF16, AMX) and the backbone stays
  faithful with it (`bf16_faithful`), else in fp32.
- `auto` (default): on a CUDA GPU torch; on a CPU the backbone's `cpu_runtime` (the fastest
  one that stays faithful, docs/benchmarks.md: openvino-int8 for ResNet-50, onnx-int8 for
  EfficientNet-Lite0), else onnx-int8, else onnx, else torch, by what is installed and what
  the CPU can do.

The int8 runtimes run only on CPUs with VNNI (`cpu_has_vnni`): on an AVX2-only CPU their
products saturate and the vectors drift to cosine 0.965 of the reference (elsewhere, ARM or
not Linux, int8 is unmeasured). Without VNNI `auto` takes onnx (fp32: 1.8-3.5x torch for
EfficientNet-Lite0, 1.7-2.0x for ResNet-50 on 2 AVX2 cores), as does asking for int8.

Every runtime is faithful to the torch reference (vectors within cosine 0.99 on 500 real
photos, precision@10 within 0.01: docs/benchmarks.md), as the fp16 autocast on a GPU is, so
they all share the model's fingerprint: a web process, a CPU worker and a GPU worker
agree on which vectors to search whatever each runs, and changing the runtime re-embeds
nothing.

When the runtime asked for cannot run here (its package is not installed, the CPU cannot
run it faithfully, its model file cannot be built or loaded), the one `auto` picks runs
instead (torch when no other can), with a log line.
"""

// Times llama.cpp's forward pass over N tokens of a GGUF file on the CPU, for comparisons with
// `unmask bench block` on the same file (docs/benchmarks.md). llama.cpp comes as node-llama-cpp's prebuilt
// libraries from npm (no compiler needed):
//   npm install node-llama-cpp@3.22.1 --ignore-scripts
//   node scripts/llamacpp-forward.mjs model.gguf [tokens=64] [threads=2] [repeats=3]
// ggml picks its best CPU library for the machine; to time the AVX2 one, move every
// node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-cpu-*.so except -haswell aside first.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, nTok = "64", threads = "2", repeats = "3"] = process.argv.slice(2);
if (!modelPath) {
  console.error("usage: node llamacpp-forward.mjs MODEL.gguf [tokens] [threads] [repeats]");
  process.exit(2);
}
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.warn});
const t0 = performance.now();
const model = await llama.loadModel({modelPath, gpuLayers: 0});
console.log(`load ${((performance.now() - t0) / 1000).toFixed(2)} s`);
const n = Number(nTok);
const ctx = await model.createContext({contextSize: Math.max(256, n), batchSize: n, threads: Number(threads), sequences: 1});
const seq = ctx.getSequence();
// any ids inside the vocabulary: the time of a forward pass does not depend on them
const tokens = Array.from({length: n}, (_, i) => 100 + (i * 37) % 1000);
for (let r = 0; r < Number(repeats); r++) {
  await seq.clearHistory();
  const t = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(tokens);
  console.log(`forward over ${n} tokens, ${threads} threads: ${((performance.now() - t) / 1000).toFixed(3)} s`);
}
console.log(`rss ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB`);
await ctx.dispose();
await model.dispose();

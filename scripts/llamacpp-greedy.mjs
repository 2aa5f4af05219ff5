// Greedy continuation of a prompt of token ids by llama.cpp, to check that a GGUF file written by
// `unmask quantize` (an autoregressive run as the llama architecture) runs in llama.cpp as it does in Unmask:
// compare the ids with `unmask generate --model FILE.gguf --prompt-ids "..." --gen-length N --print-ids`.
// llama.cpp comes as node-llama-cpp's prebuilt libraries from npm (no compiler needed):
//   npm install node-llama-cpp@3.22.1 --ignore-scripts
//   node scripts/llamacpp-greedy.mjs model.gguf "1 317 42" [new tokens=32]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, ids, nNew = "32"] = process.argv.slice(2);
if (!modelPath || !ids) {
  console.error('usage: node llamacpp-greedy.mjs MODEL.gguf "ID ID ..." [new tokens]');
  process.exit(2);
}
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.warn});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const ctx = await model.createContext({contextSize: 256, threads: 2, sequences: 1});
const seq = ctx.getSequence();
const prompt = ids.trim().split(/\s+/).map(Number);
const out = [];
// temperature 0: the most likely token at every step, as Unmask's default for an autoregressive model
for await (const token of seq.evaluate(prompt, {temperature: 0})) {
  out.push(token);
  if (out.length >= Number(nNew)) break;
}
console.log(out.join(" "));
console.log(JSON.stringify(model.detokenize(out)));
await ctx.dispose();
await model.dispose();

// Adds llama.cpp's tokenization to the SentencePiece fixture (src/test/resources/tokenizers/spm-bpe.json.gz): the
// fixture's pieces as a GGUF vocabulary (written by org.unmask.model.io.SentencePieceGguf, test sources) loaded by
// llama.cpp (node-llama-cpp 3.22.1's prebuilt libraries, vocabulary only), each case's ids without special tokens and
// the text llama.cpp detokenizes them to.
//   npm install node-llama-cpp@3.22.1 --ignore-scripts
//   java -cp "target/classes:target/test-classes:target/lib/*" org.unmask.model.io.SentencePieceGguf spm.gguf
//   node src/test/node/llamacpp_spm_ids.mjs spm.gguf FIXTURE.json.gz
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "node:fs";
import zlib from "node:zlib";

const [modelPath, fixturePath] = process.argv.slice(2);
const fixture = JSON.parse(zlib.gunzipSync(fs.readFileSync(fixturePath)).toString("utf8"));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.warn});
const model = await llama.loadModel({modelPath, gpuLayers: 0, vocabOnly: true});
for (const c of fixture.cases) {
  const ids = Array.from(model.tokenize(c.text, false));
  c.llamacpp_ids = ids;
  c.llamacpp_decoded = model.detokenize(ids);
}
fixture.source += "; llama.cpp: node-llama-cpp 3.22.1";
fs.writeFileSync(fixturePath, zlib.gzipSync(JSON.stringify(fixture)));
await model.dispose();

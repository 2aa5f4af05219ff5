// Writes src/test/resources/tokenizers/truncation-cases.json: what the Hugging Face tokenizers library (its Rust core,
// through the npm package `tokenizers`) returns for single sequences and pairs under tokenizer.json truncation and
// padding sections, for TruncationPairsTest to compare Unmask's tokenizer against.
//   cd /tmp/tk && npm install tokenizers@0.23.2 && node /path/to/repo/src/test/node/make_truncation_fixture.mjs /path/to/repo
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const require = createRequire(process.cwd() + '/');
const { Tokenizer } = require('tokenizers');
const repo = process.argv[2];
const dir = path.join(repo, 'src/test/resources/tokenizers');

const tokenizers = ['wordpiece-uncased.json', 'wordpiece-cased.json', 'bpe-gpt2-prefix.json', 'bpe-llama3.json', 'bpe-gpt2.json'];
const short = 'the cat sat';
const long = 'the quick brown fox jumps over the lazy dog and the cat sat on the mat while it rained';
const mid = 'a man went out to sow his seed in the field';
const inputs = [
  [short], [long], [''],
  [short, long], [long, short], [long, mid], [mid, long], [short, short], ['', long], [long, ''],
];
const truncations = [
  null,
  { max_length: 12, strategy: 'LongestFirst', stride: 0, direction: 'Right' },
  { max_length: 13, strategy: 'LongestFirst', stride: 2, direction: 'Left' },
  { max_length: 9, strategy: 'LongestFirst', stride: 1, direction: 'Right' },
  { max_length: 16, strategy: 'OnlyFirst', stride: 1, direction: 'Right' },
  { max_length: 16, strategy: 'OnlySecond', stride: 0, direction: 'Left' },
  { max_length: 0, strategy: 'LongestFirst', stride: 0, direction: 'Right' },
  { max_length: 3, strategy: 'LongestFirst', stride: 0, direction: 'Right' },
];
const paddings = [
  null,
  { strategy: { Fixed: 24 }, direction: 'Right', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: '[PAD]' },
  { strategy: 'BatchLongest', direction: 'Left', pad_to_multiple_of: 8, pad_id: 1, pad_type_id: 3, pad_token: '[PAD]' },
];

const plain = (e) => ({ ids: e.getIds(), type_ids: e.getTypeIds(), attention_mask: e.getAttentionMask(),
  overflowing: e.getOverflowing().map(plain) });

const cases = [];
for (const name of tokenizers) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  for (const truncation of truncations) {
    for (const padding of paddings) {
      json.truncation = truncation;
      json.padding = padding;
      const tok = Tokenizer.fromString(JSON.stringify(json));
      for (const special of [true, false]) {
        for (const pairs of [false, true]) {
          // all single inputs in one batch (padding to the longest sees the whole batch); each pair alone, as
          // the binding's encodeBatch takes single sequences only
          const batches = pairs ? inputs.filter((x) => x.length === 2).map((x) => [x]) : [inputs.filter((x) => x.length === 1)];
          for (const batch of batches) {
            let result;
            try {
              const encodings = pairs ? [await tok.encode(batch[0][0], batch[0][1], { addSpecialTokens: special })]
                : await tok.encodeBatch(batch.map((x) => x[0]), { addSpecialTokens: special });
              result = { encodings: encodings.map(plain) };
            } catch (err) {
              result = { error: String(err.message || err) };
            }
            cases.push({ tokenizer: name, truncation, padding, add_special_tokens: special, inputs: batch, ...result });
          }
        }
      }
    }
  }
}
const out = path.join(dir, 'truncation-cases.json.gz');
fs.writeFileSync(out, zlib.gzipSync(JSON.stringify({ library: 'tokenizers (npm) 0.23.2', cases })));
console.log(`${cases.length} cases -> ${out}`);

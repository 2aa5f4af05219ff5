// Completes the SentencePiece fixture (src/test/resources/tokenizers/spm-bpe.json.gz, see SOURCES.md there): adds to
// each case what the Hugging Face tokenizers library (its Rust core, through the npm package `tokenizers`) returns for
// the tokenizer.json forms that src/test/python/make_spm_fixture.py wrote: the ids without and with special tokens,
// and the text decoded from the ids.
//   cd /tmp/tk && npm install tokenizers@0.23.2 && node /path/to/repo/src/test/node/make_spm_fixture.mjs IN.json OUT.json.gz
import { createRequire } from 'node:module';
import fs from 'node:fs';
import zlib from 'node:zlib';

const require = createRequire(process.cwd() + '/');
const { Tokenizer } = require('tokenizers');
const [input, output] = process.argv.slice(2);
const fixture = JSON.parse(fs.readFileSync(input, 'utf8'));
for (const form of ['legacy', 'metaspace', 'metaspace_split', 'tiny']) {
  const tok = Tokenizer.fromString(JSON.stringify(fixture[form]));
  for (const c of form === 'tiny' ? fixture.tiny_cases : fixture.cases) {
    const plain = await tok.encode(c.text, null, { addSpecialTokens: false });
    const special = await tok.encode(c.text, null, { addSpecialTokens: true });
    c[form + '_ids'] = Array.from(plain.getIds());
    c[form + '_ids_special'] = Array.from(special.getIds());
    c[form + '_decoded'] = await tok.decode(Array.from(plain.getIds()), false);
  }
}
fs.writeFileSync(output, zlib.gzipSync(JSON.stringify(fixture)));

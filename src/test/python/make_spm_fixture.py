"""Writes the SentencePiece fixture of src/test/resources/tokenizers/ (spm-bpe.json.gz, see SOURCES.md there).

Trains a small SentencePiece BPE model with Llama's settings (byte fallback, digits split, a dummy prefix, identity
normalisation, <unk> <s> </s> first) on the shipped corpus's opening, and records its pieces (piece, score, type)
what SentencePiece itself returns for a list of texts (the ids of each and the decoded text), and the model as the
tokenizer.json forms Hugging Face's converter writes (and a Metaspace form that splits words). src/test/node/make_spm_fixture.mjs then adds what the
Hugging Face tokenizers library returns for both. Needs Debian's python3-sentencepiece (0.1.97):
    /usr/bin/python3 src/test/python/make_spm_fixture.py REPO OUT.json
"""
import gzip, json, os, sys, tempfile
import sentencepiece as spm

repo, out = sys.argv[1], sys.argv[2]
with gzip.open(os.path.join(repo, 'src/main/resources/org/unmask/data/corpus/train.txt.gz'), 'rt', encoding='utf-8') as f:
    text = f.read(400_000)
tmp = tempfile.mkdtemp()
corpus = os.path.join(tmp, 'corpus.txt')
with open(corpus, 'w', encoding='utf-8') as f:
    f.write(text)
prefix = os.path.join(tmp, 'spm')
spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, model_type='bpe', vocab_size=1200,
                               byte_fallback=True, split_digits=True, add_dummy_prefix=True,
                               normalization_rule_name='identity', remove_extra_whitespaces=False,
                               unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=0.9995,
                               user_defined_symbols=['<|user|>'], minloglevel=2)
sp = spm.SentencePieceProcessor(model_file=prefix + '.model')

def kind(i):
    # SentencePiece's ModelProto piece types, which llama.cpp's token_type numbers too
    if sp.is_unknown(i): return 2
    if sp.is_control(i): return 3
    if sp.is_byte(i): return 6
    if sp.is_unused(i): return 5
    return 4 if sp.id_to_piece(i) == '<|user|>' else 1

pieces = [[sp.id_to_piece(i), sp.get_score(i), kind(i)] for i in range(sp.get_piece_size())]
texts = [
    'And God said, Let there be light: and there was light.',
    'In the beginning was the Word, and the Word was with God.',
    ' leading space', 'trailing space ', 'two  spaces and   three', '\tTab\tand\nnewline\n\nparagraph',
    'Numbers: 1234567, 3.14159 and 42nd.', 'CamelCaseWords and UPPER lower MiXeD',
    'Unicode: café naïve façade — “quoted” ‘single’ … ellipsis', 'Emoji 😀🎉 and CJK 漢字かな and Ελληνικά',
    'a', '', ' ', 'x' * 40, 'supercalifragilisticexpialidocious antidisestablishmentarianism',
    'Before <|user|> after', '<|user|>at start', 'the LORD thy God, which brought thee out',
]
cases = [{'text': t, 'spm_ids': sp.encode(t), 'spm_decoded': sp.decode(sp.encode(t))} for t in texts]

# The two tokenizer.json forms Hugging Face's converter writes for such a model: the "legacy" one (normalizer Prepend
# + Replace) and the Metaspace one (pre_tokenizer Metaspace, prepend_scheme "first"). Merges: every split of a piece
# into two pieces, ordered by the merged piece's score, highest first.
vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
merges = []
for i, (p, score, _) in enumerate(pieces):
    local = [(p[:k], p[k:], score) for k in range(1, len(p)) if p[:k] in vocab and p[k:] in vocab]
    merges += sorted(local, key=lambda m: (vocab[m[0]], vocab[m[1]]))
merges.sort(key=lambda m: m[2], reverse=True)
added = [{'id': i, 'content': p, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False,
          'special': t != 4} for i, (p, _, t) in enumerate(pieces) if t in (2, 3, 4)]
model = {'type': 'BPE', 'dropout': None, 'unk_token': '<unk>', 'continuing_subword_prefix': None,
         'end_of_word_suffix': None, 'fuse_unk': True, 'byte_fallback': True, 'ignore_merges': False,
         'vocab': vocab, 'merges': [[a, b] for a, b, _ in merges]}
post = {'type': 'TemplateProcessing',
        'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
        'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                 {'SpecialToken': {'id': '<s>', 'type_id': 1}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
        'special_tokens': {'<s>': {'id': '<s>', 'ids': [1], 'tokens': ['<s>']}}}
decoder = {'type': 'Sequence', 'decoders': [
    {'type': 'Replace', 'pattern': {'String': '\u2581'}, 'content': ' '}, {'type': 'ByteFallback'}, {'type': 'Fuse'},
    {'type': 'Strip', 'content': ' ', 'start': 1, 'stop': 0}]}
legacy = {'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added,
          'normalizer': {'type': 'Sequence', 'normalizers': [
              {'type': 'Prepend', 'prepend': '\u2581'},
              {'type': 'Replace', 'pattern': {'String': ' '}, 'content': '\u2581'}]},
          'pre_tokenizer': None, 'post_processor': post, 'decoder': decoder, 'model': model}
metaspace = dict(legacy, normalizer=None,
                 pre_tokenizer={'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'first', 'split': False},
                 decoder={'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'first', 'split': False})
metaspace_split = dict(metaspace, pre_tokenizer=dict(metaspace['pre_tokenizer'], split=True, prepend_scheme='always'),
                       decoder=dict(metaspace['decoder'], prepend_scheme='always'))
# A vocabulary with whitespace-only pieces, where splitting before every marker or every run of markers differs
tiny_vocab = {'<unk>': 0, '\u2581': 1, 'a': 2, 'b': 3, '\u2581a': 4, '\u2581\u2581': 5, '\u2581\u2581b': 6, '\u2581b': 7}
tiny = dict(metaspace_split, added_tokens=[], post_processor=None,
            model=dict(model, vocab=tiny_vocab, byte_fallback=False,
                       merges=[['\u2581', 'a'], ['\u2581', '\u2581'], ['\u2581\u2581', 'b'], ['\u2581', 'b']]))
tiny_cases = [{'text': t} for t in ['a  b', ' a b', 'a   b b', '  ', 'b']]
with open(out, 'w', encoding='utf-8') as f:
    json.dump({'source': 'sentencepiece ' + spm.__version__ + ', BPE, vocab 1200, byte_fallback, split_digits, add_dummy_prefix,'
               ' identity normalisation, remove_extra_whitespaces false, user symbol <|user|>',
               'pieces': pieces, 'legacy': legacy, 'metaspace': metaspace, 'metaspace_split': metaspace_split,
               'cases': cases, 'tiny': tiny, 'tiny_cases': tiny_cases}, f, ensure_ascii=False)

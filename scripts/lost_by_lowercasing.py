#!/usr/bin/env python3
"""Bits per byte that an uncased WordPiece tokenizer (BERT's, MiniLM's) drops from the shipped corpus.

A lowercasing tokenizer that splits on whitespace never sees the case of letters, nor whether a word and the next
punctuation mark were separated by a space, a newline or nothing. A model over its tokens therefore pays nothing for
that information, and its bits per byte are not comparable with a cased byte-level model's. This script measures
an upper bound on what the missing information costs: a simple code for it (case pattern of each word given the
lowercased word and whether it opens a sentence; the whitespace between two pre-tokens given what they are), with
probabilities counted on the training split and scored on the validation split. Adding its figure to an uncased
model's bits per byte gives the length of a code for the original text, so the two kinds of model compare.

Usage: python3 scripts/lost_by_lowercasing.py   (reads the corpus under src/main/resources)
"""
import collections
import gzip
import math
import pathlib
import re

CORPUS = pathlib.Path(__file__).resolve().parent.parent / "src/main/resources/org/unmask/data/corpus"
# BERT's basic tokenizer: runs of letters and digits, or one punctuation character, between whitespace.
PRE_TOKEN = re.compile(r"[^\W_]+|[^\s\w]|_")
OPENERS = set('.!?:"“‘')


def documents(split):
    text = gzip.open(CORPUS / f"{split}.txt.gz", "rt", encoding="utf-8").read()
    return [d for d in text.split("\n\n") if d.strip()]


def case_class(token):
    """lower, title, upper, or None for a pattern the code spells out letter by letter."""
    letters = [c for c in token if c.isalpha()]
    if not letters or token == token.lower():
        return "lower"
    if token[0].isupper() and token[1:] == token[1:].lower():
        return "title"
    if len(letters) > 1 and token == token.upper():
        return "upper"
    return None


def kind(token):
    return "w" if token[0].isalnum() else token


def events(doc):
    """(case context, case class, letters) and (gap context, gap) events of one document."""
    matches = list(PRE_TOKEN.finditer(doc))
    cases, gaps = [], []
    for i, m in enumerate(matches):
        token = m.group()
        if i > 0:
            gap = doc[matches[i - 1].end():m.start()]
            gaps.append(((kind(matches[i - 1].group()), kind(token)), gap))
        opens = i == 0 or matches[i - 1].group() in OPENERS or "\n" in doc[matches[i - 1].end():m.start()]
        if any(c.isalpha() for c in token):
            cases.append(((token.lower(), opens), case_class(token), sum(c.isalpha() for c in token)))
    return cases, gaps


class Backoff:
    """P(outcome | context) from counts, smoothed towards P(outcome | coarse context), then towards uniform."""

    def __init__(self, coarse, alpha=2.0):
        self.fine = collections.defaultdict(collections.Counter)
        self.coarse = collections.defaultdict(collections.Counter)
        self.coarse_of = coarse
        self.alpha = alpha
        self.outcomes = set()

    def add(self, context, outcome):
        self.fine[context][outcome] += 1
        self.coarse[self.coarse_of(context)][outcome] += 1
        self.outcomes.add(outcome)

    def bits(self, context, outcome):
        n_out = len(self.outcomes) + 1  # one more for an outcome never seen in training
        c = self.coarse[self.coarse_of(context)]
        p_coarse = (c[outcome] + 0.5) / (sum(c.values()) + 0.5 * n_out)
        f = self.fine[context]
        p = (f[outcome] + self.alpha * p_coarse) / (sum(f.values()) + self.alpha)
        return -math.log2(p)


def main():
    case = Backoff(lambda ctx: ctx[1])
    gap = Backoff(lambda ctx: ctx[0] if ctx[0] == "w" else "p")
    for doc in documents("train"):
        cases, gaps = events(doc)
        for ctx, cls, _ in cases:
            case.add(ctx, cls)
        for ctx, g in gaps:
            gap.add(ctx, g if g in ("", " ", "\n") else "other")
    valid = documents("valid")
    case_bits = gap_bits = 0.0
    for doc in valid:
        cases, gaps = events(doc)
        for ctx, cls, letters in cases:
            case_bits += case.bits(ctx, cls)
            if cls is None:
                case_bits += letters  # the pattern spelt out, a bit per letter
        for ctx, g in gaps:
            if g in ("", " ", "\n"):
                gap_bits += gap.bits(ctx, g)
            else:
                gap_bits += gap.bits(ctx, "other") + 8 * len(g.encode("utf-8")) + 8  # the string and its end
    nbytes = len(gzip.open(CORPUS / "valid.txt.gz", "rb").read())
    print(f"validation split: {nbytes} bytes, {len(valid)} documents")
    print(f"case of letters:  {case_bits:.0f} bits = {case_bits / nbytes:.4f} bits/byte")
    print(f"whitespace:       {gap_bits:.0f} bits = {gap_bits / nbytes:.4f} bits/byte")
    print(f"lost by lowercasing and whitespace splitting: {(case_bits + gap_bits) / nbytes:.4f} bits/byte")


if __name__ == "__main__":
    main()

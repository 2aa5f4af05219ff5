/** Text to token ids: Hugging Face tokenizer.json tokenizers (byte-level BPE, WordPiece) and our BPE trainer. */
package org.unmask.text;

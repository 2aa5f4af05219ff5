/**
 * Text to token ids: Hugging Face tokenizer.json tokenizers (byte-level BPE, WordPiece) and our BPE trainer; the
 * special-token strings ({@link org.unmask.text.SpecialTokens}) and the chat format
 * ({@link org.unmask.text.ChatTemplate}).
 */
package org.unmask.text;

/**
 * Models from the Hugging Face Hub: {@code unmask pull} and {@code --model ORG/NAME[@REV]}. Downloads go into the
 * standard Hugging Face cache ({@code models--ORG--NAME/blobs|snapshots|refs}) exactly as {@code huggingface_hub}
 * lays it out, so the Python tools and Unmask share one copy of every file. Every blob is verified against the
 * Hub's ETag before it gets its final name, and only verified blobs are linked into a snapshot.
 * Sits with the I/O layers, below {@code api}.
 */
package org.unmask.hub;

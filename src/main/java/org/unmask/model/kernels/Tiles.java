package org.unmask.model.kernels;

/**
 * The register tiles {@link MatMul} uses for one size of register file. The Vector API does not expose the register
 * count, so the preferred vector width stands for it: 512-bit vectors come with 32 registers (AVX-512), 256-bit ones
 * with 16 (AVX2). Tests run both families whatever the CPU, since the tile loops do not depend on the vector width.
 */
enum Tiles {
    /**
     * 32 registers: 4×4 dot tiles (16 accumulators), 6-row × 4-vector axpy tiles (24 accumulators) in both the
     * backward products and the weight-row forward.
     */
    WIDE(4, 6, 4, 4),
    /**
     * 16 registers: 2×4 dot tiles (8 accumulators), 2-row × 6-vector axpy tiles on a packed A (12 accumulators) in
     * the backward products and the training-size forward, 6-row × 2-vector tiles (12 accumulators, strips of 16 tokens)
     * in the weight-row forward.
     */
    NARROW(2, 2, MicroKernels.PANEL_VECTORS, 2);

    /** The family for this CPU. */
    static final Tiles PREFERRED = MicroKernels.F.vectorBitSize() >= 512 ? WIDE : NARROW;

    /** Rows of A per dot tile (against 4 rows of B). */
    final int dotRows;
    /** Rows of C per axpy tile. */
    final int axpyRows;
    /** Vectors of C per row of an axpy tile. */
    final int axpyVectors;
    /** Vectors of token rows per 6-weight-row tile of the weight-row forward. */
    final int rowTileVectors;

    Tiles(int dotRows, int axpyRows, int axpyVectors, int rowTileVectors) {
        this.dotRows = dotRows;
        this.axpyRows = axpyRows;
        this.axpyVectors = axpyVectors;
        this.rowTileVectors = rowTileVectors;
    }

    /** Columns of C per axpy tile. */
    int axpyWidth() { return axpyVectors * MicroKernels.L; }

    /** Token rows per strip of the weight-row forward. */
    int rowTileWidth() { return rowTileVectors * MicroKernels.L; }
}

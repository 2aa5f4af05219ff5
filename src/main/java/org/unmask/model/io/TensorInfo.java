package org.unmask.model.io;

import org.unmask.model.tensor.DType;

import java.nio.file.Path;
import java.util.Arrays;

/** One tensor of a safetensors file: its name, element type, shape and the file that holds it. */
public record TensorInfo(String name, DType dtype, long[] shape, Path file) {

    /** Number of elements (the product of the shape). */
    public long elementCount() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    /** The shape written as {@code [a, b]}. */
    public String shapeString() { return Arrays.toString(shape); }
}

package org.unmask.serve;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/** Typed reads of optional request fields; a field of the wrong type is a 400 naming it. Null counts as absent. */
final class JsonFields {
    private JsonFields() {}

    /** A string field, or null. */
    static String optString(JsonNode root, String name) {
        JsonNode n = present(root, name);
        if (n == null) return null;
        if (!n.isTextual()) throw ApiError.invalid(name + " must be a string; got " + kind(n) + ".", name);
        return n.asText();
    }

    /** A 32-bit integer field, or null. */
    static Integer optInt(JsonNode root, String name) {
        JsonNode n = present(root, name);
        if (n == null) return null;
        if (!n.isIntegralNumber()) throw ApiError.invalid(name + " must be an integer; got " + kind(n) + ".", name);
        if (!n.canConvertToInt())
            throw ApiError.invalid(name + " must be an integer between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE
                    + "; got " + n.asText() + ".", name);
        return n.asInt();
    }

    /** A 64-bit integer field, or null. */
    static Long optLong(JsonNode root, String name) {
        JsonNode n = present(root, name);
        if (n == null) return null;
        if (!n.isIntegralNumber()) throw ApiError.invalid(name + " must be an integer; got " + kind(n) + ".", name);
        if (!n.canConvertToLong())
            throw ApiError.invalid(name + " must be a 64-bit integer; got " + n.asText() + ".", name);
        return n.asLong();
    }

    /** A finite number field, or null. */
    static Double optNumber(JsonNode root, String name) {
        JsonNode n = present(root, name);
        if (n == null) return null;
        if (!n.isNumber()) throw ApiError.invalid(name + " must be a number; got " + kind(n) + ".", name);
        double v = n.asDouble();
        if (!Double.isFinite(v)) throw ApiError.invalid(name + " must be finite.", name);
        return v;
    }

    /** A boolean field, or null. */
    static Boolean optBool(JsonNode root, String name) {
        JsonNode n = present(root, name);
        if (n == null) return null;
        if (!n.isBoolean()) throw ApiError.invalid(name + " must be a boolean; got " + kind(n) + ".", name);
        return n.asBoolean();
    }

    /** True when the field is there and not null. */
    static boolean has(JsonNode root, String name) { return present(root, name) != null; }

    private static JsonNode present(JsonNode root, String name) {
        JsonNode n = root.get(name);
        return n == null || n.isNull() ? null : n;
    }

    /** "a string", "an integer", ... for messages. */
    static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> n.getNodeType().toString().toLowerCase(Locale.ROOT);
        };
    }
}

package org.unmask.serve;

/** An error answered as OpenAI's {@code {"error": {message, type, param, code}}} with an HTTP status. */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    /** An error with its HTTP status, OpenAI error type, message, offending parameter (nullable) and code (nullable). */
    public ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** A 400 {@code invalid_request_error} about {@code param}. */
    public static ApiError invalid(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    /** A 400 {@code invalid_request_error} with a machine-readable code. */
    public static ApiError invalid(String message, String param, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code);
    }

    /** HTTP status. */
    public int status() { return status; }

    /** OpenAI error type, e.g. {@code invalid_request_error}. */
    public String type() { return type; }

    /** The request field at fault, or null. */
    public String param() { return param; }

    /** A machine-readable code, or null. */
    public String code() { return code; }
}

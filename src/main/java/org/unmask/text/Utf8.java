package org.unmask.text;

/** Lossy UTF-8 decoding that replaces each maximal invalid subpart with one U+FFFD (Unicode's recommended practice). */
final class Utf8 {

    private Utf8() {}

    static String decodeLossy(byte[] b, int len) {
        StringBuilder out = new StringBuilder(len);
        int i = 0;
        while (i < len) {
            int c = b[i] & 0xFF;
            if (c < 0x80) { out.append((char) c); i++; continue; }
            int need, lo = 0x80, hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) need = 1;
            else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
            else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
            else { out.append('\uFFFD'); i++; continue; }
            int cp = c & (0x3F >> need);
            int k = 1;
            for (; k <= need && i + k < len; k++) {
                int d = b[i + k] & 0xFF;
                // Only the first continuation byte has a narrowed range.
                if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF)) break;
                cp = (cp << 6) | (d & 0x3F);
            }
            if (k == need + 1) {
                out.appendCodePoint(cp);
                i += k;
            } else {
                out.append('\uFFFD');
                i += k;
            }
        }
        return out.toString();
    }
}

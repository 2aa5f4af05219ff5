package org.unmask.text;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8Test {

    private static String decode(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Utf8.decodeLossy(b, b.length);
    }

    @Test
    void maximalSubpartsFollowTheUnicodeExample() {
        // The Unicode Standard's example for U+FFFD substitution of maximal subparts (chapter 3, table 3-8).
        assertThat(decode(0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64))
                .isEqualTo("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
        // Surrogate code points and overlong forms are invalid from their second byte on.
        assertThat(decode(0xED, 0xA0, 0x80)).isEqualTo("\uFFFD\uFFFD\uFFFD");
        assertThat(decode(0xC0, 0xAF)).isEqualTo("\uFFFD\uFFFD");
        assertThat(decode(0xF0, 0x9F, 0x98)).isEqualTo("\uFFFD");
    }

    @Test
    void validTextIsUnchanged() {
        String s = "aé日😀\u0000";
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        assertThat(Utf8.decodeLossy(b, b.length)).isEqualTo(s);
    }
}

package org.unmask.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Texts that exercise the corners of normalization, splitting and merging. */
final class ParityTexts {

    private ParityTexts() {}

    static List<String> all() throws IOException {
        List<String> texts = new ArrayList<>(List.of(
                "",
                " ",
                "Hello world",
                "Hello world!",
                "  leading and trailing spaces  ",
                "multiple     spaces   between words",
                "tabs\tand\t\ttabs\tend\t",
                "newlines\n\nand\r\ncarriage\rreturns\n",
                "   \n\n   \t ",
                "\n",
                "numbers 1234567890 and 3.14159 and 1,000,000 and 007 and 12345678901234567890",
                "I'm sure they'll say we've done it; it's John's, isn't it? I'd go. You're right.",
                "I'M SURE THEY'LL SAY WE'VE DONE IT; IT'S JOHN'S. 'S 'T 'RE 'VE 'M 'LL 'D",
                "quotes 'single' and \"double\" and `back` ''",
                "a<|endoftext|>b <|mdm_mask|> c<|startoftext|>",
                "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                "<|endoftext|>",
                "<|mdm_mask|><|mdm_mask|><|mdm_mask|>",
                "foo bar foobar _foo foo_ foo. (foo) foo",
                "x [BAR]   y [BAR]\n z[BAR]w",
                "HELLO <TOOL_CALL> hello,world  WORLD  \tHello_Hello xhello hello_ ＷＯＲＬＤ!",
                "call <tool_call>{\"name\": \"f\"}</tool_call> done",
                "[CLS] hello [SEP] [MASK] world [UNK] [PAD]",
                "unbelievable unbelievably believer",
                "Emoji: 😀 🎉 👍🏽 ❤️ 👨‍👩‍👧‍👦 🇯🇵 🤖",
                "東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.",
                "Café naïve résumé Ångström Straße İstanbul ΣΊΣΥΦΟΣ ὀδυσσεύς",
                "e\u0301 a\u0300 combining o\u0308 marks",
                "\u00a0nbsp\u3000ideographic\u2028line\u2029para\u0085nel\u200bzwsp",
                "control\u0000chars\u0007here\u001f\ufffd",
                "Full-width: ＡＢＣ １２３ ！？ ligatures ﬁ ﬂ x² ½",
                "mixed123abc456def 3rd 21st x1y2z3",
                "!!!??? ... --- *** $$$ %%% ^^^ &&& ((())) [[]] {{}} ||| \\\\ //",
                "def f(x):\n    return x * 2\n\n\tprint(f(3))\n",
                "Здравствуйте! Как дела? مرحبا بالعالم שלום नमस्ते สวัสดี",
                "word " .repeat(40) + "end",
                "x".repeat(150),
                "supercalifragilisticexpialidocious antidisestablishmentarianism"));
        for (String name : List.of("sample.txt", "sample-unicode.txt")) {
            try (var in = ParityTexts.class.getResourceAsStream("/text/" + name)) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                texts.add(text);
                texts.addAll(List.of(text.split("\n")));
            }
        }
        return texts;
    }
}

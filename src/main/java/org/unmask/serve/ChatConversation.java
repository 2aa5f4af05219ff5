package org.unmask.serve;

import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;
import java.util.Arrays;
import java.util.List;

/**
 * Multi-turn prompts the way LLaDA's chat.py builds them: the history is the previous prompt plus
 * its answer with the EOS padding removed (EoT kept), and from the second turn on the BOS that the template puts in
 * front of the new user turn is dropped before it is appended.
 */
public final class ChatConversation {

    private final ChatTemplate template;
    private final Vocabulary vocab;
    private final String system;
    private int[] history = new int[0];
    private int turns;

    /** A conversation; {@code system} (nullable) is rendered before the first user turn. */
    public ChatConversation(ChatTemplate template, Vocabulary vocab, String system) {
        this.template = template;
        this.vocab = vocab;
        this.system = system == null || system.isBlank() ? null : system;
    }

    /** Prompt ids for the next user message: history + templated turn. */
    public int[] prompt(String userMessage) {
        List<ChatMessage> turn = turns == 0 && system != null
                ? List.of(new ChatMessage("system", system), new ChatMessage("user", userMessage))
                : List.of(new ChatMessage("user", userMessage));
        int[] ids = vocab.tokenizer().encode(template.render(turn, true), false);
        if (turns > 0 && ids.length > 0 && ids[0] == vocab.bosId()) ids = Arrays.copyOfRange(ids, 1, ids.length);
        int[] prompt = Arrays.copyOf(history, history.length + ids.length);
        System.arraycopy(ids, 0, prompt, history.length, ids.length);
        return prompt;
    }

    /** Records the answer to {@code prompt} (the whole generated region) as the new history. */
    public void accept(int[] prompt, int[] generated) {
        int[] next = Arrays.copyOf(prompt, prompt.length + generated.length);
        System.arraycopy(generated, 0, next, prompt.length, generated.length);
        history = vocab.withoutEos(next);
        turns++;
    }

    /** Forgets the history. */
    public void reset() { history = new int[0]; turns = 0; }

    /** Completed turns. */
    public int turns() { return turns; }

    /** Ids carried into the next prompt. */
    public int[] history() { return history.clone(); }
}

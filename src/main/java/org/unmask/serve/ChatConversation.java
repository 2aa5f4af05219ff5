package org.unmask.serve;

import org.unmask.text.ChatMessage;
import org.unmask.text.ChatTemplate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multi-turn prompts. For a template that renders a new user turn the same after a conversation as alone (LLaDA's),
 * the way LLaDA's chat.py builds them: the history is the previous prompt plus its answer with the EOS padding
 * removed (EoT kept), and from the second turn on the BOS that the template puts in front of the new user turn is
 * dropped before it is appended. Any other template (ChatML, which opens every conversation with a system turn) gets
 * the whole conversation rendered again each turn, as Hugging Face's chat templating does, with the earlier answers
 * as their decoded text.
 */
public final class ChatConversation {

    private final ChatTemplate template;
    private final Vocabulary vocab;
    private final String system;
    private final boolean turnByTurn;
    private int[] history = new int[0];
    private final List<ChatMessage> messages = new ArrayList<>();   // the conversation as text (re-rendered templates)
    private String pendingUser;
    private int turns;

    /** A conversation; {@code system} (nullable) is rendered before the first user turn. */
    public ChatConversation(ChatTemplate template, Vocabulary vocab, String system) {
        this.template = template;
        this.vocab = vocab;
        this.system = system == null || system.isBlank() ? null : system;
        this.turnByTurn = rendersTurnsAlone(template);
    }

    /**
     * Whether {@code t} renders a user turn that follows a conversation exactly as it renders that turn alone, less a
     * leading BOS; only then can a new turn be appended to the token history.
     */
    static boolean rendersTurnsAlone(ChatTemplate t) {
        try {
            List<ChatMessage> before = List.of(new ChatMessage("user", "a"), new ChatMessage("assistant", "b"));
            List<ChatMessage> after = List.of(before.get(0), before.get(1), new ChatMessage("user", "c"));
            String prefix = t.render(before, false), whole = t.render(after, true);
            String alone = t.render(List.of(after.get(2)), true);
            if (!t.bosToken().isEmpty() && alone.startsWith(t.bosToken())) alone = alone.substring(t.bosToken().length());
            return whole.startsWith(prefix) && whole.substring(prefix.length()).equals(alone);
        } catch (IllegalArgumentException e) {
            return false;   // a template that rejects the probe is rendered whole
        }
    }

    /** Prompt ids for the next user message: history + templated turn. */
    public int[] prompt(String userMessage) {
        pendingUser = userMessage;
        if (!turnByTurn) {
            List<ChatMessage> all = new ArrayList<>();
            if (turns == 0 && system != null) all.add(new ChatMessage("system", system));
            all.addAll(messages);
            all.add(new ChatMessage("user", userMessage));
            return vocab.tokenizer().encode(template.render(all, true), false);
        }
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
        if (turns == 0 && system != null) messages.add(new ChatMessage("system", system));
        if (pendingUser != null) messages.add(new ChatMessage("user", pendingUser));
        messages.add(new ChatMessage("assistant", vocab.answerText(generated)));
        pendingUser = null;
        turns++;
    }

    /** Forgets the history. */
    public void reset() {
        history = new int[0];
        messages.clear();
        pendingUser = null;
        turns = 0;
    }

    /** Completed turns. */
    public int turns() { return turns; }

    /** Ids carried into the next prompt (the token history of chat.py-style templates). */
    public int[] history() { return history.clone(); }
}

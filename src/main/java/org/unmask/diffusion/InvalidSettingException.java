package org.unmask.diffusion;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sampling setting (or combination) that cannot run. The message is a template in which {@code {key}} stands for
 * a setting's name, so that the command line can say {@code --block-length} and the server {@code block_length}.
 */
public final class InvalidSettingException extends IllegalArgumentException {
    private static final Pattern NAME = Pattern.compile("\\{([a-z_]+)}");

    private final Setting setting;
    private final String template;

    /** A problem with {@code setting}; {@code template} names settings as {@code {key}}. */
    public InvalidSettingException(Setting setting, String template) {
        super(render(template, Setting::key));
        this.setting = setting;
        this.template = template;
    }

    /** The setting at fault (the first one named when a combination is wrong). */
    public Setting setting() { return setting; }

    /** The message with every setting spelled by {@code names}. */
    public String message(Function<Setting, String> names) { return render(template, names); }

    private static String render(String template, Function<Setting, String> names) {
        Matcher m = NAME.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(names.apply(Setting.valueOf(m.group(1).toUpperCase(java.util.Locale.ROOT)))));
        m.appendTail(sb);
        return sb.toString();
    }
}

package org.unmask.study;

import java.util.ArrayList;
import java.util.List;

/** A markdown table for a study's summary. */
public final class Table {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table with these column names. */
    public Table(String... header) { this.header = List.of(header); }

    /** Adds a row; its cells are printed with {@code toString}. */
    public Table row(Object... cells) {
        if (cells.length != header.size()) throw new IllegalArgumentException(cells.length + " cells for " + header.size() + " columns");
        List<String> r = new ArrayList<>();
        for (Object c : cells) r.add(String.valueOf(c).replace("|", "\\|"));
        rows.add(r);
        return this;
    }

    /** Number of rows. */
    public int size() { return rows.size(); }

    /** The table in markdown. */
    public String markdown() {
        StringBuilder s = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) s.append(i == 0 ? "---|" : "---:|");
        s.append('\n');
        for (List<String> r : rows) s.append("| ").append(String.join(" | ", r)).append(" |\n");
        return s.toString();
    }
}

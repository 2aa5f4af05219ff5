package org.unmask.study;

import java.util.List;

/** The studies by name. */
public final class Studies {
    private Studies() {}

    /** Every study, in the order of docs/studies.md. */
    public static List<Study> all() {
        return List.of(new DataConstrainedStudy(), new ReversalStudy(), new StepsStudy(), new InitStudy(), new ScalingStudy());
    }

    /** The study called {@code name}; an unknown name is an error listing the known ones. */
    public static Study named(String name) {
        for (Study s : all()) if (s.name().equals(name)) return s;
        throw new IllegalArgumentException("unknown study '" + name + "' (known: "
                + String.join(", ", all().stream().map(Study::name).toList()) + ")");
    }
}

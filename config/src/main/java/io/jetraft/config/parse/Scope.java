package io.jetraft.config.parse;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** One block while {@link ConfParser} reads it: its entries so far and the keys referenced as variables. */
record Scope(Map<String, ConfValue.Entry> entries, Set<String> usedAsVariables) {

    Scope() {
        this(new LinkedHashMap<>(), new HashSet<>());
    }

    ConfValue.Block toBlock(Position at) {
        return new ConfValue.Block(entries, at, usedAsVariables);
    }
}

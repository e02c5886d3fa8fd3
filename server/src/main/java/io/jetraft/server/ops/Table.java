package io.jetraft.server.ops;

import java.util.ArrayList;
import java.util.List;

/** A text table in natscli's rounded style, with a title and an optional footer row. */
public final class Table {

    private final String title;
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private List<String> footer;

    public Table(String title, String... header) {
        this.title = title;
        this.header = List.of(header);
    }

    public void row(Object... cells) {
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
    }

    public void footer(Object... cells) {
        footer = new ArrayList<>();
        for (Object c : cells) {
            footer.add(String.valueOf(c));
        }
    }

    public String render() {
        int n = header.size();
        int[] w = new int[n];
        for (int i = 0; i < n; i++) {
            w[i] = header.get(i).length();
        }
        List<List<String>> all = new ArrayList<>(rows);
        if (footer != null) {
            all.add(footer);
        }
        for (List<String> r : all) {
            for (int i = 0; i < n && i < r.size(); i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        int inner = -1;
        for (int x : w) {
            inner += x + 3;
        }
        inner = Math.max(inner, title.length() + 2);
        StringBuilder sb = new StringBuilder();
        sb.append('╭').append("─".repeat(inner)).append("╮\n");
        int pad = inner - title.length();
        sb.append('│').append(" ".repeat(pad / 2)).append(title).append(" ".repeat(pad - pad / 2)).append("│\n");
        sb.append(line('├', '┬', '┤', w, inner));
        sb.append(cells(header, w, inner));
        sb.append(line('├', '┼', '┤', w, inner));
        for (List<String> r : rows) {
            sb.append(cells(r, w, inner));
        }
        if (footer != null) {
            sb.append(line('├', '┼', '┤', w, inner));
            sb.append(cells(footer, w, inner));
        }
        sb.append(line('╰', '┴', '╯', w, inner));
        return sb.toString();
    }

    private static String line(char left, char mid, char right, int[] w, int inner) {
        StringBuilder sb = new StringBuilder().append(left);
        int used = 0;
        for (int i = 0; i < w.length; i++) {
            if (i > 0) {
                sb.append(mid);
                used++;
            }
            sb.append("─".repeat(w[i] + 2));
            used += w[i] + 2;
        }
        sb.append("─".repeat(Math.max(0, inner - used))).append(right).append('\n');
        return sb.toString();
    }

    private static String cells(List<String> r, int[] w, int inner) {
        StringBuilder sb = new StringBuilder().append('│');
        int used = 0;
        for (int i = 0; i < w.length; i++) {
            if (i > 0) {
                sb.append('│');
                used++;
            }
            String c = i < r.size() ? r.get(i) : "";
            sb.append(' ').append(c).append(" ".repeat(w[i] - c.length() + 1));
            used += w[i] + 2;
        }
        sb.append(" ".repeat(Math.max(0, inner - used))).append("│\n");
        return sb.toString();
    }
}

package dev.equinox.bench.report;

import java.util.Locale;

/** Number formatting shared by the reporters (Locale.ROOT, NaN as "-"). */
final class Fmt {
    private Fmt() {
    }

    static String f(double v, int decimals) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A CSV text field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a line break. */
    static String csvText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == ',' || ch == '"' || ch == '\n' || ch == '\r') {
                return '"' + s.replace("\"", "\"\"") + '"';
            }
        }
        return s;
    }

    /** CSV: NaN as empty, full precision trimmed to 6 significant decimals. */
    static String csv(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        String t = java.math.BigDecimal.valueOf(Math.round(v * 1e6), 6).toPlainString();
        int end = t.length();
        if (t.indexOf('.') >= 0) {
            while (end > 0 && t.charAt(end - 1) == '0') {
                end--;
            }
            if (end > 0 && t.charAt(end - 1) == '.') {
                end--;
            }
        }
        return t.substring(0, end);
    }
}

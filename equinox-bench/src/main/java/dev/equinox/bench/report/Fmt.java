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

    /** CSV: NaN as empty, full precision trimmed to 6 significant decimals. */
    static String csv(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return String.format(Locale.ROOT, "%.6f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}

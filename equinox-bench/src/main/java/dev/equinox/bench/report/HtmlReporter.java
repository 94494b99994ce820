package dev.equinox.bench.report;

import dev.equinox.bench.sim.SimResult;
import dev.equinox.metrics.FairnessReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A self-contained HTML page: the summary table and XChart charts embedded as base64 PNG (per-tenant service
 * rate over time for each run, accumulated service difference, TTFT distribution, GPU utilization over time).
 */
public final class HtmlReporter implements Reporter {
    private static final int MAX_TENANT_SERIES = 12;
    private final Path path;

    public HtmlReporter(Path path) {
        this.path = path;
    }

    @Override
    public void write(Comparison c) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (path.toAbsolutePath().getParent() != null) {
            Files.createDirectories(path.toAbsolutePath().getParent());
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8))) {
            w.println("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Equinox replay: " + esc(c.workload().name()) + "</title>");
            w.println("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                    + "padding:3px 8px;text-align:right}td:first-child{text-align:left}img{max-width:100%}</style></head><body>");
            w.println("<h1>Equinox trace replay</h1><p>Workload <b>" + esc(c.workload().name()) + "</b>: " + c.workload().size() + " requests, "
                    + c.workload().tenants().size() + " tenants. " + esc(c.workload().description()) + "</p>");
            if (!c.results().isEmpty()) {
                var cfg = c.results().get(0).config();
                w.println("<p>Engine: " + esc(c.results().get(0).costModel()) + ", " + cfg.mode() + ", KV " + cfg.kvTokens() + " tokens, token budget "
                        + cfg.effectiveTokenBudget() + ", max running " + cfg.maxRunning() + ", seed " + cfg.seed() + ".</p>");
            }
            w.println("<table><tr>");
            for (String h : TableReporter.HEADER) {
                w.print("<th>" + esc(h) + "</th>");
            }
            w.println("</tr>");
            for (RunSummary s : c.summaries()) {
                w.println("<tr><td>" + esc(s.label()) + "</td><td>" + s.finished() + "/" + s.requests() + "</td><td>" + Fmt.f(s.reqPerSec(), 2)
                        + "</td><td>" + Fmt.f(s.outTokPerSec(), 0) + "</td><td>" + Fmt.f(s.ttft()[0], 2) + "</td><td>" + Fmt.f(s.ttft()[1], 2)
                        + "</td><td>" + Fmt.f(s.ttft()[2], 2) + "</td><td>" + Fmt.f(s.e2e()[0], 2) + "</td><td>" + Fmt.f(s.e2e()[1], 2)
                        + "</td><td>" + Fmt.f(s.e2e()[2], 2) + "</td><td>" + Fmt.f(s.tpot()[0] * 1000, 1) + " ms</td><td>"
                        + Fmt.f(s.utilization() * 100, 1) + " %</td><td>" + Fmt.f(s.maxServiceDiff(), 1) + "</td><td>"
                        + Fmt.f(s.avgServiceDiff(), 1) + "</td><td>" + Fmt.f(s.maxAccDiff(), 0) + "</td><td>" + Fmt.f(s.jain(), 3)
                        + "</td><td>" + s.preemptions() + "</td></tr>");
            }
            w.println("</table><p>Service difference: VTC's definition (sum over tenants of min(max service - service, |demand - service|),"
                    + " token cost per second over 60 s windows at the artifact's ticks). Jain: Jain's index over demand-normalised service"
                    + " of tenants backlogged in the window (weighted max-min fair share as denominator).</p>");

            w.println("<h2>Per tenant</h2>" + tenantTable(c));
            w.println("<h2>Accumulated service difference</h2>" + img(accDiffChart(c)));
            w.println("<h2>TTFT distribution</h2>" + img(ttftChart(c)));
            w.println("<h2>Modelled GPU utilization</h2>" + img(utilChart(c)));
            w.println("<h2>Per-tenant service rate</h2>");
            for (RunSummary s : c.summaries()) {
                if (s.fairness() != null) {
                    w.println(img(serviceChart(s)));
                }
            }
            w.println("</body></html>");
        }
    }

    /** Per tenant and run: requests and TTFT p50 / p90 / p99 (all requests finish, so service shares equal demand shares). */
    static String tenantTable(Comparison c) {
        var wl = c.workload();
        int nt = wl.tenants().size();
        StringBuilder sb = new StringBuilder("<table><tr><th>tenant</th><th>weight</th><th>requests</th>");
        for (SimResult r : c.results()) {
            sb.append("<th>").append(esc(r.config().label())).append(": TTFT p50 / p90 / p99 (s)</th>");
        }
        sb.append("</tr>");
        int[] counts = wl.countsPerTenant();
        double[][][] ttft = new double[c.results().size()][nt][];
        for (int k = 0; k < c.results().size(); k++) {
            SimResult r = c.results().get(k);
            int[] fill = new int[nt];
            for (int t = 0; t < nt; t++) {
                ttft[k][t] = new double[counts[t]];
            }
            for (int i = 0; i < wl.size(); i++) {
                int t = wl.tenantIndex(i);
                double ft = r.firstTokenAt()[i];
                if (!Double.isNaN(ft)) {
                    ttft[k][t][fill[t]++] = ft - wl.arrival(i);
                }
            }
            for (int t = 0; t < nt; t++) {
                ttft[k][t] = RunSummary.pct(ttft[k][t], fill[t]);
            }
        }
        for (int t = 0; t < nt; t++) {
            String name = wl.tenants().get(t);
            sb.append("<tr><td>").append(esc(name)).append("</td><td>").append(Fmt.f(wl.weights().get(name), 2)).append("</td><td>")
                    .append(counts[t]).append("</td>");
            for (int k = 0; k < c.results().size(); k++) {
                sb.append("<td>").append(Fmt.f(ttft[k][t][0], 2)).append(" / ").append(Fmt.f(ttft[k][t][1], 2)).append(" / ")
                        .append(Fmt.f(ttft[k][t][2], 2)).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</table>").toString();
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart ch = new XYChartBuilder().width(900).height(380).title(title).xAxisTitle(x).yAxisTitle(y).build();
        ch.getStyler().setMarkerSize(3);
        ch.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        return ch;
    }

    private static XYChart accDiffChart(Comparison c) {
        XYChart ch = chart("Accumulated service difference (max - min over tenants)", "time (s)", "token cost");
        for (RunSummary s : c.summaries()) {
            FairnessReport f = s.fairness();
            if (f != null) {
                ch.addSeries(s.label(), shift(f.ticks(), 30), f.accumulatedDifference()).setMarker(SeriesMarkers.NONE);
            }
        }
        return ch;
    }

    private static double[] shift(double[] x, double d) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = x[i] + d;
        }
        return r;
    }

    private static XYChart ttftChart(Comparison c) {
        XYChart ch = chart("TTFT CDF", "TTFT (s)", "fraction of requests");
        for (SimResult r : c.results()) {
            double[] v = new double[r.workload().size()];
            int n = 0;
            for (int i = 0; i < v.length; i++) {
                double ft = r.firstTokenAt()[i];
                if (!Double.isNaN(ft)) {
                    v[n++] = ft - r.workload().arrival(i);
                }
            }
            if (n == 0) {
                continue;
            }
            double[] s = Arrays.copyOf(v, n);
            Arrays.sort(s);
            int pts = Math.min(400, n);
            double[] x = new double[pts];
            double[] y = new double[pts];
            for (int k = 0; k < pts; k++) {
                int idx = (int) ((long) k * (n - 1) / Math.max(1, pts - 1));
                x[k] = s[idx];
                y[k] = (idx + 1.0) / n;
            }
            ch.addSeries(r.config().label(), x, y).setMarker(SeriesMarkers.NONE);
        }
        return ch;
    }

    private static XYChart utilChart(Comparison c) {
        XYChart ch = chart("Modelled GPU utilization (10 s average)", "time (s)", "utilization");
        for (SimResult r : c.results()) {
            double[] u = r.utilization();
            int m = Math.max(1, (u.length + 9) / 10);
            double[] x = new double[m];
            double[] y = new double[m];
            for (int k = 0; k < m; k++) {
                double s = 0;
                int cnt = 0;
                for (int j = k * 10; j < Math.min(u.length, k * 10 + 10); j++) {
                    s += u[j];
                    cnt++;
                }
                x[k] = k * 10;
                y[k] = cnt == 0 ? 0 : s / cnt;
            }
            ch.addSeries(r.config().label(), x, y).setMarker(SeriesMarkers.NONE);
        }
        return ch;
    }

    private static XYChart serviceChart(RunSummary s) {
        FairnessReport f = s.fairness();
        XYChart ch = chart(s.label() + ": per-tenant service rate (60 s window)", "time (s)", "token cost / s");
        List<Integer> order = new ArrayList<>();
        for (int j = 0; j < f.tenants().length; j++) {
            order.add(j);
        }
        order.sort((a, b) -> Double.compare(sum(f.serviceRate()[b]), sum(f.serviceRate()[a])));
        for (int k = 0; k < Math.min(MAX_TENANT_SERIES, order.size()); k++) {
            int j = order.get(k);
            ch.addSeries(f.tenants()[j], shift(f.ticks(), 30), f.serviceRate()[j]).setMarker(SeriesMarkers.NONE);
        }
        return ch;
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
    }

    private static String img(XYChart ch) throws IOException {
        byte[] png = BitmapEncoder.getBitmapBytes(ch, BitmapEncoder.BitmapFormat.PNG);
        return "<p><img alt=\"" + esc(ch.getTitle()) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\"></p>";
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

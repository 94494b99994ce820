package dev.equinox.bench.workload;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * VTC's synthetic workload suites (Sheng et al., OSDI 2024, section 6.2 and its artifact's {@code exp_suite.py}),
 * generated afresh here with a seeded {@link SplittableRandom}: same seed, same requests. Tenants are
 * {@code t0, t1, ...}.
 *
 * <table>
 * <caption>suites</caption>
 * <tr><th>name</th><th>tenants, rates (req/s)</th><th>tokens in/out</th><th>duration</th></tr>
 * <tr><td>overload</td><td>2: 1.5, 3</td><td>256/256</td><td>6 min</td></tr>
 * <tr><td>overload-multi</td><td>8: 0.4 x3, 0.6 x5</td><td>256/256</td><td>6 min</td></tr>
 * <tr><td>overload-weighted</td><td>4: 0.8, 0.8, 1.2, 1.6; weights 1, 2, 3, 4</td><td>256/256</td><td>6 min</td></tr>
 * <tr><td>proportional</td><td>3: 0.25, 0.5, 1.5</td><td>256/256</td><td>10 min</td></tr>
 * <tr><td>increase</td><td>t0 0.5; t1 ramps 0.2 to 2</td><td>256/256</td><td>10 min</td></tr>
 * <tr><td>on_off_less</td><td>0.5, 2; t0 on/off every 60 s</td><td>256/256</td><td>10 min</td></tr>
 * <tr><td>on_off_overload</td><td>2, 3; t0 on/off every 60 s</td><td>256/256</td><td>10 min</td></tr>
 * <tr><td>poisson_short_long</td><td>Poisson total 9.5 split 8 : 1.5; t0 64/64</td><td>256/256</td><td>10 min</td></tr>
 * <tr><td>poisson_short_long_2</td><td>same; t0 512 in/32 out, t1 32 in/512 out</td><td>-</td><td>10 min</td></tr>
 * <tr><td>dist_shift</td><td>5-min phases: 0.5, 2 (t0 on/off) / 1, 1 / 0.5, 1.5</td><td>256/256</td><td>15 min</td></tr>
 * </table>
 *
 * <p>Arrivals: "uniform" (the suites' default except the Poisson ones) = fixed gap 1/rate after a random phase
 * in [0, 1/rate) (the increase suite has no phase); "poisson" = gamma gaps with coefficient of variation
 * {@code cv} (1 = Poisson). Keys: {@code arrival=uniform|poisson} to override, {@code cv=1},
 * {@code duration=S} (seconds), {@code rate-scale=x} (multiplies every rate).
 */
public final class VtcSuites implements WorkloadReader {
    /** The suite names, in the paper's order. */
    public static final List<String> SUITES = List.of("overload", "overload-multi", "overload-weighted", "proportional",
            "increase", "on_off_less", "on_off_overload", "poisson_short_long", "poisson_short_long_2", "dist_shift");

    @Override
    public String name() {
        return "vtc";
    }

    @Override
    public String usage() {
        return "vtc:SUITE (or just SUITE)  one of " + SUITES + "; keys arrival=uniform|poisson cv=1 duration=S rate-scale=1";
    }

    /** Generates a suite with the defaults and a seed. */
    public static Workload generate(String suite, long seed) {
        return new VtcSuites().generate(suite, seed, null, 1, Double.NaN, 1);
    }

    @Override
    public Workload read(WorkloadSpec spec) {
        String arrival = spec.string("arrival", null);
        if (arrival != null && !arrival.equals("uniform") && !arrival.equals("poisson")) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': arrival must be uniform or poisson, got '" + arrival + "'");
        }
        double cv = spec.number("cv", 1);
        double duration = spec.number("duration", Double.NaN);
        double scale = spec.number("rate-scale", 1);
        spec.checkKeys(Set.of("arrival", "cv", "duration", "rate-scale"));
        if (!(cv > 0) || !(scale > 0)) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': cv and rate-scale must be > 0");
        }
        if (!Double.isNaN(duration) && !(duration > 0 && duration <= Workload.MAX_ARRIVAL_SECONDS)) {
            throw new IllegalArgumentException("workload spec '" + spec.text() + "': duration must be > 0 and at most 10000000 seconds, got "
                    + duration);
        }
        Workload w = generate(spec.location(), spec.seed(), arrival, cv, duration, scale);
        return w;
    }

    Workload generate(String suite, long seed, String arrivalOverride, double cv, double durationOverride, double scale) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Workload.Builder b = Workload.builder("vtc:" + suite);
        double d;
        switch (suite) {
            case "overload":
                d = dur(durationOverride, 360);
                uniformSuite(b, rnd, new double[] {1.5, 3}, null, d, 0, scale, arrivalOverride, cv, 256, 256);
                break;
            case "overload-multi":
                d = dur(durationOverride, 360);
                uniformSuite(b, rnd, new double[] {0.4, 0.4, 0.4, 0.6, 0.6, 0.6, 0.6, 0.6}, null, d, 0, scale, arrivalOverride, cv, 256, 256);
                break;
            case "overload-weighted":
                d = dur(durationOverride, 360);
                uniformSuite(b, rnd, new double[] {0.8, 0.8, 1.2, 1.6}, new double[] {1, 2, 3, 4}, d, 0, scale, arrivalOverride, cv, 256, 256);
                break;
            case "proportional":
                d = dur(durationOverride, 600);
                uniformSuite(b, rnd, new double[] {0.25, 0.5, 1.5}, null, d, 0, scale, arrivalOverride, cv, 256, 256);
                break;
            case "on_off_less":
                d = dur(durationOverride, 600);
                uniformSuite(b, rnd, new double[] {0.5, 2}, null, d, 60, scale, arrivalOverride, cv, 256, 256);
                break;
            case "on_off_overload":
                d = dur(durationOverride, 600);
                uniformSuite(b, rnd, new double[] {2, 3}, null, d, 60, scale, arrivalOverride, cv, 256, 256);
                break;
            case "increase":
                d = dur(durationOverride, 600);
                increase(b, rnd, d, scale, "poisson".equals(arrivalOverride), cv);
                break;
            case "poisson_short_long":
                d = dur(durationOverride, 600);
                shortLong(b, rnd, d, scale, "uniform".equals(arrivalOverride), cv, 64, 64, 256, 256);
                break;
            case "poisson_short_long_2":
                d = dur(durationOverride, 600);
                shortLong(b, rnd, d, scale, "uniform".equals(arrivalOverride), cv, 512, 32, 32, 512);
                break;
            case "dist_shift":
                d = dur(durationOverride, 900);
                distShift(b, rnd, d, scale, arrivalOverride, cv);
                break;
            default:
                throw new IllegalArgumentException("unknown VTC suite '" + suite + "'; known: " + SUITES);
        }
        b.description(String.format(Locale.ROOT, "VTC synthetic suite %s, %.0f s, arrivals %s%s, rate-scale %.2f, seed %d", suite, d,
                arrivalOverride == null ? "as published" : arrivalOverride,
                "poisson".equals(arrivalOverride) || suite.startsWith("poisson") ? String.format(Locale.ROOT, " (cv %.2f)", cv) : "",
                scale, seed));
        return b.build();
    }

    private static double dur(double override, double dflt) {
        return Double.isNaN(override) ? dflt : override;
    }

    /** Per-tenant processes; tenant 0 optionally on/off with the given period (off in odd periods). */
    private static void uniformSuite(Workload.Builder b, SplittableRandom rnd, double[] rates, double[] weights, double duration,
            double onOff, double scale, String arrival, double cv, int in, int out) {
        boolean poisson = "poisson".equals(arrival);
        for (int i = 0; i < rates.length; i++) {
            b.tenant("t" + i, weights == null ? null : weights[i]);
        }
        for (int i = 0; i < rates.length; i++) {
            addProcess(b, rnd, "t" + i, rates[i] * scale, 0, duration, i == 0 ? onOff : 0, poisson, cv, true, in, out);
        }
    }

    /**
     * One tenant's arrivals at {@code rate} in [start, start + duration): count = int(rate * duration) requests,
     * uniform gaps after a random phase, or gamma gaps; dropped in odd on/off periods.
     */
    private static void addProcess(Workload.Builder b, SplittableRandom rnd, String tenant, double rate, double start, double duration,
            double onOff, boolean poisson, double cv, boolean phase, int in, int out) {
        int total = count(b, rate, duration);
        double t = start + (phase && !poisson ? rnd.nextDouble() / rate : 0);
        double shape = 1 / (cv * cv);
        double gscale = cv * cv / rate;
        for (int j = 0; j < total; j++) {
            t += poisson ? Sampling.gamma(rnd, shape, gscale) : 1 / rate;
            if (onOff > 0 && (((long) Math.floor(t / onOff)) & 1) == 1) {
                continue;
            }
            b.add(b.size(), tenant, t, in, out);
        }
    }

    /**
     * int(rate * duration), the requests of one process.
     *
     * @throws IllegalArgumentException if they would take the workload beyond {@link Workload#MAX_GENERATED_REQUESTS}
     */
    private static int count(Workload.Builder b, double rate, double duration) {
        double total = rate * duration;
        if (b.size() + total > Workload.MAX_GENERATED_REQUESTS) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "workload %s: %.4g requests/s for %.4g s would make it more than "
                    + "%d requests, the most a generated workload may have; use a shorter duration or a lower rate-scale", b.name(), rate,
                    duration, Workload.MAX_GENERATED_REQUESTS));
        }
        return (int) total;
    }

    private static void increase(Workload.Builder b, SplittableRandom rnd, double duration, double scale, boolean poisson, double cv) {
        b.tenant("t0", null).tenant("t1", null);
        addProcess(b, rnd, "t0", 0.5 * scale, 0, duration, 0, poisson, cv, false, 256, 256);
        double start = 0.2 * scale;
        double end = 2 * scale;
        int total = count(b, 0.5 * (start + end), duration);
        double t = 0;
        double shape = 1 / (cv * cv);
        for (int j = 0; j < total; j++) {
            double rate = start + (end - start) * t / duration;
            t += poisson ? Sampling.gamma(rnd, shape, cv * cv / rate) : 1 / rate;
            b.add(b.size(), "t1", t, 256, 256);
        }
    }

    /** Total rate 9.5 split 8 : 1.5 by coin flip, gamma gaps (or uniform gaps of the total rate). */
    private static void shortLong(Workload.Builder b, SplittableRandom rnd, double duration, double scale, boolean uniform, double cv,
            int in0, int out0, int in1, int out1) {
        b.tenant("t0", null).tenant("t1", null);
        double r0 = 8 * scale;
        double r1 = 1.5 * scale;
        int total = count(b, r0 + r1, duration);
        double shape = 1 / (cv * cv);
        double gscale = cv * cv / (r0 + r1);
        double t = 0;
        for (int i = 0; i < total; i++) {
            boolean first = rnd.nextDouble() <= r0 / (r0 + r1);
            t += uniform ? 1 / (r0 + r1) : Sampling.gamma(rnd, shape, gscale);
            if (first) {
                b.add(b.size(), "t0", t, in0, out0);
            } else {
                b.add(b.size(), "t1", t, in1, out1);
            }
        }
    }

    private static void distShift(Workload.Builder b, SplittableRandom rnd, double duration, double scale, String arrival, double cv) {
        boolean poisson = "poisson".equals(arrival);
        b.tenant("t0", null).tenant("t1", null);
        double phase = duration / 3;
        double[][] rates = {{0.5, 2}, {1, 1}, {0.5, 1.5}};
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < 2; i++) {
                addProcess(b, rnd, "t" + i, rates[p][i] * scale, p * phase, phase, p == 0 && i == 0 ? 60 : 0, poisson, cv, true, 256, 256);
            }
        }
    }
}

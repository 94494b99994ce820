#!/usr/bin/env python3
"""Compare serve-bench runs on a GPU with the simulator's prediction of the same trace, over the same wall horizon.

  compare-serve-sim.py SERVE_DIR SIM_REQUESTS_CSV [HORIZON_S]

SERVE_DIR holds serve-{fcfs,vtc,equinox}.csv (serve-bench --csv); SIM_REQUESTS_CSV is 'equinox replay ...
--requests-csv FILE' on the same trace and engine settings with the GPU's calibrated profile (docs/gpu.md gives both
commands). serve-bench stops at its --max-seconds (HORIZON_S, default 50), so the simulated requests are cut at the
same time: a request counts as finished when it finished by then, TTFT percentiles are over finished requests (as
serve-bench reports TTFT only for them), and a request still decoding at the horizon contributes the tokens of its
elapsed decode time (decode is uniform in the simulator). Standard library only.
"""
import csv
import sys


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def gpu(path):
    rows = list(csv.DictReader(open(path)))
    ttft = [float(r["ttft_s"]) for r in rows if r["ttft_s"] != "NaN"]
    tokens = {}
    for r in rows:
        tokens[r["tenant"]] = tokens.get(r["tenant"], 0) + int(r["output_tokens"])
    return sum(r["status"] == "FINISHED" for r in rows), ttft, tokens


def sim(path, run, horizon):
    rows = [r for r in csv.DictReader(open(path)) if r["run"] == run]
    if not rows:
        sys.exit("no rows of run '%s' in %s" % (run, path))
    ttft = [float(r["first_token_s"]) - float(r["arrival_s"]) for r in rows if float(r["finish_s"]) <= horizon]
    tokens = {}
    for r in rows:
        first, done, out = float(r["first_token_s"]), float(r["finish_s"]), int(r["output_tokens"])
        if done <= horizon:
            n = out
        elif first <= horizon:
            n = 1 + int((horizon - first) / (done - first) * (out - 1))
        else:
            n = 0
        tokens[r["tenant"]] = tokens.get(r["tenant"], 0) + n
    return sum(float(r["finish_s"]) <= horizon for r in rows), ttft, tokens


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    serve_dir, sim_csv = sys.argv[1], sys.argv[2]
    horizon = float(sys.argv[3]) if len(sys.argv) == 4 else 50.0
    print("| policy | source | finished | output tokens | tokens by tenant | TTFT p50 (s) | TTFT p90 (s) | TTFT p99 (s) |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    for policy in ("fcfs", "vtc", "equinox"):
        runs = [("GPU", gpu("%s/serve-%s.csv" % (serve_dir, policy))),
                ("simulator", sim(sim_csv, policy + "+moving-average", horizon))]
        for source, (finished, ttft, tokens) in runs:
            by_tenant = ", ".join("%s %d" % kv for kv in sorted(tokens.items()))
            print("| %s | %s | %d | %d | %s | %.2f | %.2f | %.2f |" % (policy, source, finished, sum(tokens.values()), by_tenant,
                                                                     pct(ttft, 50), pct(ttft, 90), pct(ttft, 99)))


if __name__ == "__main__":
    main()

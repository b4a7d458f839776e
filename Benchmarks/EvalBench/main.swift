// mlgate-evalbench: times MLGateEval and MLGateData on the benchmark's data files and prints one JSON
// object of medians (seconds). Run by Benchmarks/eval.sh, which times the anchors on the same files.
//
//   mlgate-evalbench DATA_DIR [REPS]
//   DATA_DIR holds label.npy (u1), champion.npy, challenger.npy (f8), preds.csv and boot/ (the same at 1e6).
import MLGateData
import MLGateEval
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func median(_ reps: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<reps {
        let start = now()
        try body()
        times.append(now() - start)
    }
    times.sort()
    return times[times.count / 2]
}

var sink = 0.0
let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: mlgate-evalbench DATA_DIR [REPS]")
    exit(2)
}
let directory = arguments[1]
let reps = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
/// Optional: run only the benchmarks whose names contain this.
let only = arguments.count > 3 ? arguments[3] : ""

func median(_ name: String, _ reps: Int, _ body: () throws -> Void) rethrows -> Double? {
    guard only.isEmpty || name.contains(only) else { return nil }
    return try median(reps, body)
}

func columns(_ path: String) throws -> (labels: [UInt8], champion: [Double], challenger: [Double]) {
    let table = try DataReader.read(path, columns: [.init("label", .number), .init("champion", .number), .init("challenger", .number)])
    return ((table.numbers["label"] ?? []).map { UInt8($0) }, table.numbers["champion"] ?? [], table.numbers["challenger"] ?? [])
}

do {
    let data = try columns(directory)
    let predictions = try BinaryPredictions(labels: data.labels, scores: data.champion)
    var results: [(String, Double?)] = []
    results.append(("auc_ap", try median("auc_ap", reps) {
        let ranking = BinaryRanking(predictions)
        sink += (ranking.rocAUC.number ?? 0) + (ranking.averagePrecision.number ?? 0)
    }))
    results.append(("threshold_brier_logloss", try median("threshold", reps) {
        let metrics = ThresholdMetrics(predictions)
        sink += (metrics.accuracy.number ?? 0) + (metrics.brierScore.number ?? 0) + (metrics.logLoss.number ?? 0)
    }))
    results.append(("regression", try median("regression", reps) {
        let metrics = try RegressionMetrics(targets: data.champion, predictions: data.challenger)
        sink += metrics.meanSquaredError + metrics.meanAbsoluteError + metrics.r2
    }))
    results.append(("delong", try median("delong", max(1, reps / 2)) {
        let test = try DeLongTest(labels: data.labels, candidate: data.challenger, baseline: data.champion)
        sink += test.pValue
    }))
    let challenger = try BinaryPredictions(labels: data.labels, scores: data.challenger)
    results.append(("auc_ap_delong_shared", try median("shared", max(1, reps / 2)) {
        // What `mlgate eval` does: one order per model (both cores), AUC+AP from each, DeLong on the same orders.
        let (a, b) = Parallel.pair({ ScoreOrder(challenger) }, { ScoreOrder(predictions) })
        let test = try DeLongTest(candidate: a, baseline: b)
        sink += (BinaryRanking(a).averagePrecision.number ?? 0) + (BinaryRanking(b).averagePrecision.number ?? 0) + test.pValue
    }))
    let boot = only.isEmpty || "bootstrap".contains(only) ? try columns(directory + "/boot") : (labels: [UInt8](), champion: [Double](), challenger: [Double]())
    results.append(("bootstrap_1000_at_1e6", try median("bootstrap", 1) {
        // One order per model (the ones AUC came from), then 8-lane weighted walks on both cores.
        let champion = ScoreOrder(try BinaryPredictions(labels: boot.labels, scores: boot.champion))
        let challenger = ScoreOrder(try BinaryPredictions(labels: boot.labels, scores: boot.challenger))
        let draws = PoissonBootstrap(rows: boot.labels.count, resamples: 1000, seed: 1).rankingMetrics([challenger, champion], averagePrecision: false)
        let differences = zip(draws[0], draws[1]).map { ($0.rocAUC.number ?? 0) - ($1.rocAUC.number ?? 0) }
        sink += PoissonBootstrap.interval(differences, level: 0.95)?.lowerBound ?? 0
    }))
    results.append(("csv_read", try median("csv", max(1, reps / 2)) {
        let table = try DataReader.read(directory + "/preds.csv", columns: [.init("label", .number), .init("champion", .number), .init("challenger", .number)])
        sink += table.numbers["champion"]?.first ?? 0
    }))
    for (name, file) in [("feather_read", "/preds.feather"), ("npy_read", "")] {
        let path = directory + file
        guard access(path + (file.isEmpty ? "/label.npy" : ""), R_OK) == 0 else { continue }
        results.append((name, try median(name, max(1, reps / 2)) {
            let table = try DataReader.read(path, columns: [.init("label", .number), .init("champion", .number), .init("challenger", .number)])
            sink += table.numbers["champion"]?.first ?? 0
        }))
    }
    print("{" + results.compactMap { name, value in value.map { "\"\(name)\": \($0)" } }.joined(separator: ", ") + ", \"sink\": \(sink)}")
} catch {
    print("mlgate-evalbench: \(error)")
    exit(1)
}

import MLGateEval
import MLGateTestSupport
import Testing

/// The shared order (`ScoreOrder`) against independent, obviously correct references written here:
/// pairwise definitions for small inputs, a comparison sort for large ones.
@Suite("one sorted view per model: AUC, AP, DeLong and the bootstrap against simple references")
struct ScoreOrderTests {
    /// Labels and scores with many ties: `levels` distinct values (±0.0 among them), optionally a cluster.
    static func sample(_ n: Int, levels: Int, seed: UInt64, cluster: Bool = false) -> (labels: [UInt8], scores: [Double]) {
        var random = SeededRandom(seed: seed)
        var labels: [UInt8] = [], scores: [Double] = []
        for _ in 0..<n {
            let positive = random.uniform() < 0.3
            labels.append(positive ? 1 : 0)
            let level = Int(random.next() % UInt64(levels))
            var score = Double(level) / Double(levels) + (positive ? 0.1 : 0)
            if level == 0 { score = random.uniform() < 0.5 ? -0.0 : 0.0 }
            if cluster { score = random.uniform() < 0.02 ? 1e-300 * random.uniform() : 0.5 + random.uniform() * 1e-9 }
            scores.append(score)
        }
        return (labels, scores)
    }

    /// AUC as the share of (positive, negative) pairs ranked right, ties ½ — the definition.
    static func pairwiseAUC(_ labels: [UInt8], _ scores: [Double]) -> Double {
        var twice = 0, pairs = 0
        for i in labels.indices where labels[i] == 1 {
            for j in labels.indices where labels[j] == 0 {
                twice += scores[i] > scores[j] ? 2 : scores[i] == scores[j] ? 1 : 0
                pairs += 1
            }
        }
        return Double(twice) / Double(2 * pairs)
    }

    /// AUC and AP from a comparison sort: distinct thresholds high to low, counts including the whole tie group.
    static func sortedReference(_ labels: [UInt8], _ scores: [Double]) -> (auc: Double, ap: Double) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0, falsePositives = 0, twoU = 0, ap = 0.0
        var index = 0
        while index < order.count {
            var stop = index, groupPositives = 0
            while stop < order.count, scores[order[stop]] == scores[order[index]] {
                groupPositives += Int(labels[order[stop]])
                stop += 1
            }
            let groupNegatives = stop - index - groupPositives
            twoU += groupNegatives * (2 * truePositives + groupPositives)
            truePositives += groupPositives
            falsePositives += groupNegatives
            if groupPositives > 0 { ap += Double(groupPositives) * Double(truePositives) / Double(truePositives + falsePositives) }
            index = stop
        }
        return (Double(twoU) / Double(2 * truePositives * falsePositives), ap / Double(truePositives))
    }

    @Test("AUC and AP equal the references on tied inputs, small and large (both cores, clustered buckets)",
          arguments: [(300, 7, false), (2_000, 40, false), (150_000, 3_000, false), (150_000, 1, true), (70_000, 2, false)])
    func rankMetrics(n: Int, levels: Int, cluster: Bool) throws {
        let (labels, scores) = Self.sample(n, levels: levels, seed: UInt64(n + levels), cluster: cluster)
        let ranking = BinaryRanking(try BinaryPredictions(labels: labels, scores: scores))
        let reference = Self.sortedReference(labels, scores)
        #expect(close(ranking.rocAUC.number, reference.auc))
        #expect(close(ranking.averagePrecision.number, reference.ap))
        if n <= 2_000 { #expect(close(ranking.rocAUC.number, Self.pairwiseAUC(labels, scores))) }
        // The curve's thresholds are the distinct scores, high to low.
        let distinct = Set(scores.map { $0 + 0.0 }).count
        #expect(ranking.thresholdPoints().count == distinct)
        #expect(ranking.thresholdPoints().last?.truePositives == Double(labels.filter { $0 == 1 }.count))
    }

    @Test("DeLong's AUCs, variances and covariance equal the pairwise definition on tied inputs", arguments: [3, 11, 200])
    func delong(levels: Int) throws {
        let n = 500
        let (labels, a) = Self.sample(n, levels: levels, seed: UInt64(levels))
        let b = Self.sample(n, levels: levels + 2, seed: UInt64(levels + 99)).scores
        let test = try DeLongTest(labels: labels, candidate: a, baseline: b)
        let positives = labels.indices.filter { labels[$0] == 1 }, negatives = labels.indices.filter { labels[$0] == 0 }
        func psi(_ x: Double, _ y: Double) -> Double { x > y ? 1 : x == y ? 0.5 : 0 }
        func components(_ s: [Double]) -> (v10: [Double], v01: [Double]) {
            (positives.map { i in negatives.reduce(0) { $0 + psi(s[i], s[$1]) } / Double(negatives.count) },
             negatives.map { j in positives.reduce(0) { $0 + psi(s[$1], s[j]) } / Double(positives.count) })
        }
        func cov(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / Double(x.count - 1)
        }
        let ca = components(a), cb = components(b)
        let m = Double(positives.count), k = Double(negatives.count)
        #expect(close(test.candidateAUC, Self.pairwiseAUC(labels, a)))
        #expect(close(test.baselineAUC, Self.pairwiseAUC(labels, b)))
        #expect(close(test.candidateVariance, cov(ca.v10, ca.v10) / m + cov(ca.v01, ca.v01) / k, tolerance: 1e-15))
        #expect(close(test.baselineVariance, cov(cb.v10, cb.v10) / m + cov(cb.v01, cb.v01) / k, tolerance: 1e-15))
        #expect(close(test.covariance, cov(ca.v10, cb.v10) / m + cov(ca.v01, cb.v01) / k, tolerance: 1e-15))
        // The same from orders built once and shared.
        let orderA = ScoreOrder(try BinaryPredictions(labels: labels, scores: a))
        let orderB = ScoreOrder(try BinaryPredictions(labels: labels, scores: b))
        let shared = try DeLongTest(candidate: orderA, baseline: orderB)
        #expect(shared == test)
        #expect(BinaryRanking(orderA).rocAUC.number == test.candidateAUC)
    }

    @Test("the lane-parallel bootstrap gives the scalar walk's bits per resample, whatever the blocks and threads")
    func bootstrapLanes() throws {
        let (labels, a) = Self.sample(5_003, levels: 50, seed: 5)
        let b = Self.sample(5_003, levels: 9, seed: 6).scores
        var random = SeededRandom(seed: 3)
        let weights = (0..<labels.count).map { _ in random.uniform() * 2 }
        for base in [nil, weights] {
            let orders = [try BinaryPredictions(labels: labels, scores: a, weights: base), try BinaryPredictions(labels: labels, scores: b, weights: base)]
                .map(ScoreOrder.init)
            let bootstrap = PoissonBootstrap(rows: labels.count, resamples: 19, seed: 42)
            let draws = bootstrap.rankingMetrics(orders)
            var counts: [UInt8] = []
            for resample in 0..<19 {
                bootstrap.draw(resample, into: &counts)
                for (model, order) in orders.enumerated() {
                    let scalar = base.map { base in ResamplableRanking(order).metrics(weights: zip(base, counts).map { $0 * Double($1) }) }
                        ?? ResamplableRanking(order).metrics(counts: counts)
                    #expect(draws[model][resample].rocAUC == scalar.rocAUC, "model \(model) resample \(resample)")
                    #expect(draws[model][resample].averagePrecision == scalar.averagePrecision, "model \(model) resample \(resample)")
                }
            }
            // One block on one thread gives the same first eight resamples.
            let single = PoissonBootstrap(rows: labels.count, resamples: 8, seed: 42).rankingMetrics(orders)
            #expect(single[0] == Array(draws[0].prefix(8)) && single[1] == Array(draws[1].prefix(8)))
        }
    }
}

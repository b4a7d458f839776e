import Foundation
import MLGateEval
import Testing

/// Relative closeness, for numbers whose size varies over orders of magnitude (p-values, PSI).
private func near(_ a: Double?, _ b: Double?, relative: Double = 1e-12) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return abs(a - b) <= relative * max(abs(a), abs(b), 1e-300) || abs(a - b) <= 1e-15
}

@Suite("drift statistics equal scipy's and numpy's, in Evidently's and Azure's conventions (Fixtures/drift.json)")
struct DriftTests {
    @Test("Wasserstein-1 and its two normalisations, Sturges edges and histograms, PSI, JS distance and χ²")
    func fixtures() throws {
        for fixture in try Fixtures.cases("drift") {
            let name = fixture["name"] as? String ?? "?"
            let reference = Fixtures.doubles(fixture["reference"]) ?? [], current = Fixtures.doubles(fixture["current"]) ?? []
            #expect(near(Drift.wasserstein1(reference, current), Fixtures.double(fixture["wasserstein"])), "\(name)")
            #expect(near(Drift.normalizedWasserstein(reference: reference, current: current, convention: .evidently),
                         Fixtures.double(fixture["wasserstein_norm_evidently"])), "\(name)")
            #expect(near(Drift.normalizedWasserstein(reference: reference, current: current, convention: .azure),
                         Fixtures.double(fixture["wasserstein_norm_azure"])), "\(name)")
            let referenceCounts = fixture["reference_counts"] as? [Int] ?? [], currentCounts = fixture["current_counts"] as? [Int] ?? []
            if let edges = Fixtures.doubles(fixture["edges"]) {
                let computed = try #require(Drift.sturgesEdges(reference + current, observations: reference.count + current.count))
                #expect(computed == edges, "\(name): edges")
                #expect(Drift.histogram(reference, edges: edges) == referenceCounts, "\(name): reference histogram")
                #expect(Drift.histogram(current, edges: edges) == currentCounts, "\(name): current histogram")
            }
            let shares = try #require(Drift.binnedShares(reference: reference, current: current, convention: .evidently))
            #expect(shares.reference == referenceCounts.map { Double($0) / Double(reference.count) }, "\(name): shares")
            #expect(near(Drift.psi(reference: referenceCounts, current: currentCounts, convention: .evidently), Fixtures.double(fixture["psi_evidently"])), "\(name): psi")
            #expect(near(Drift.psi(reference: referenceCounts, current: currentCounts, convention: .azure), Fixtures.double(fixture["psi_azure"])), "\(name): psi azure")
            #expect(near(Drift.jensenShannon(shares.reference, shares.current), Fixtures.double(fixture["js_e"])), "\(name): js")
            #expect(near(Drift.jensenShannon(shares.reference, shares.current, base: 2), Fixtures.double(fixture["js_2"])), "\(name): js2")
            let ks = try #require(KolmogorovSmirnovTest(reference: reference, current: current))
            let exact = fixture["ks_exact"] as? Bool ?? false
            #expect(ks.method == (exact ? .exact : .asymptotic), "\(name): ks method")
            #expect(near(ks.statistic, Fixtures.double(fixture["ks_statistic"])), "\(name): ks statistic")
            // Exact p-values equal scipy's; the asymptotic one is Kolmogorov's limit with Stephens' correction where
            // scipy uses the exact one-sample distribution at n = round(mn/(m+n)): 2 % apart at this size.
            #expect(near(ks.pValue, Fixtures.double(fixture["ks_p"]), relative: exact ? 1e-10 : 5e-2), "\(name): ks p \(ks.pValue)")
            if let p = Fixtures.double(fixture["chi2_p"]) {
                let chi = try #require(Drift.chiSquare(reference: reference, current: current))
                #expect(near(chi.statistic, Fixtures.double(fixture["chi2_statistic"])), "\(name): chi2")
                #expect(near(chi.pValue, p, relative: 1e-10), "\(name): chi2 p")
            }
        }
    }

    @Test("the χ² survival function agrees with scipy's from the bulk to the far tail")
    func chiSquareTail() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/drift.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        for row in object?["chi2_sf"] as? [[String: Any]] ?? [] {
            let x = try #require(Fixtures.double(row["x"])), k = try #require(row["k"] as? Int)
            #expect(near(Drift.regularizedUpperGamma(Double(k) / 2, x / 2), Fixtures.double(row["p"]), relative: 1e-11), "x=\(x) k=\(k)")
        }
    }

    @Test("Pearson's r and Spearman's rho with scipy's p-values")
    func correlations() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/drift.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let rows = object?["correlations"] as? [[String: Any]] ?? []
        #expect(rows.count == 4)
        for row in rows {
            let name = row["name"] as? String ?? "?"
            let x = Fixtures.doubles(row["x"]) ?? [], y = Fixtures.doubles(row["y"]) ?? []
            let pearson = try #require(Correlation.pearson(x, y)), spearman = try #require(Correlation.spearman(x, y))
            #expect(near(pearson.coefficient, Fixtures.double(row["pearson"])), "\(name): r")
            #expect(near(pearson.pValue, Fixtures.double(row["pearson_p"]), relative: 1e-10), "\(name): r p \(pearson.pValue)")
            #expect(near(spearman.coefficient, Fixtures.double(row["spearman"])), "\(name): rho")
            #expect(near(spearman.pValue, Fixtures.double(row["spearman_p"]), relative: 1e-10), "\(name): rho p \(spearman.pValue)")
        }
    }

    @Test("data quality: missing values, values outside the reference's range, categories it never had")
    func dataQuality() throws {
        let quality = try #require(DataQuality(reference: [1, 2, 3, .nan], current: [2, .nan, 5, 0, 3, 7, .nan, 2]))
        #expect(quality.nullRate == 2.0 / 8 && quality.outOfRangeRate == 3.0 / 6 && quality.newCategoryRate == 3.0 / 6)
        #expect(DataQuality(reference: [], current: [1]) == nil)
    }

    @Test("empty, NaN and mismatched inputs give nil, never a number")
    func refusals() {
        #expect(Drift.wasserstein1([], [1]) == nil)
        #expect(Drift.wasserstein1([.nan], [1]) == nil)
        #expect(Drift.psi(reference: [1, 2], current: [1], convention: .evidently) == nil)
        #expect(Drift.jensenShannon([0, 0], [1, 1]) == nil)
        #expect(Drift.chiSquare(observed: [1, 2], expected: [0, 3]) == nil)
        #expect(Drift.wasserstein1([1, 2, 3], [1, 2, 3]) == 0)
        #expect(KolmogorovSmirnovTest(reference: [], current: [1]) == nil)
        #expect(Correlation.pearson([1, 1, 1], [1, 2, 3]) == nil)
        #expect(Correlation.spearman([1, 2], [1]) == nil)
    }

    @Test("a sorted sample counts below and above by binary search; the numeric quality from sorted samples equals the one from the cells")
    func sortedSamples() throws {
        let sample = try #require(SortedSample([3, 1, 2, 2, 5, -0.0, 2]))
        #expect(sample.values == [0, 1, 2, 2, 2, 3, 5] && sample.minimum == 0 && sample.maximum == 5)
        #expect(sample.count(below: 2) == 2 && sample.count(above: 2) == 2 && sample.count(below: 0) == 0 && sample.count(above: 5) == 0)
        #expect(sample.count(below: 10) == 7 && sample.count(above: -1) == 7)
        #expect(SortedSample([]) == nil && SortedSample([1, .nan]) == nil)
        // Sizes past the radix sort's threshold, values on the reference's bounds and outside them, and missing cells.
        var generator = SystemRandomNumberGenerator()
        let reference = (0..<3000).map { _ in Double(Int.random(in: -50...50, using: &generator)) / 4 }
        let current = (0..<2500).map { index in index % 97 == 0 ? Double.nan : Double(Int.random(in: -60...60, using: &generator)) / 4 }
        let cells = try #require(DataQuality(reference: reference, current: current, categorical: false))
        let sorted = DataQuality(reference: try #require(SortedSample(reference)), current: try #require(SortedSample(current.filter { !$0.isNaN })),
                                 currentRows: current.count)
        #expect(sorted == cells && cells.outOfRangeRate > 0 && cells.nullRate > 0)
        // W1 of equal sizes (the element-wise sum) and of unequal ones (the quantile walk) against the definition
        // ∫ |F_u − F_v| evaluated between the pooled values.
        for (m, n) in [(2000, 2000), (2000, 1333), (7, 1500)] {
            let u = (0..<m).map { _ in Double.random(in: 0..<1, using: &generator) }, v = (0..<n).map { _ in Double.random(in: 0.2..<1.3, using: &generator) }
            let pooled = (u + v).sorted()
            var area = 0.0
            for index in 0..<(pooled.count - 1) {
                let x = pooled[index]
                area += abs(Double(u.filter { $0 <= x }.count) / Double(m) - Double(v.filter { $0 <= x }.count) / Double(n)) * (pooled[index + 1] - x)
            }
            #expect(near(Drift.wasserstein1(u, v), area, relative: 1e-11), "\(m) × \(n)")
        }
    }
}

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
}

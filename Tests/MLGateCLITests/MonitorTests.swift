import Foundation
import MLGateTestSupport
import Testing

/// Rows of `amount` (a number around `center`), `region` (mostly north, or mostly `region`) and `id` (ignored).
private func rows(_ count: Int, center: Double, region: String = "north", seed: UInt64) -> String {
    var random = SeededRandom(seed: seed)
    var text = "id,amount,region\n"
    for row in 0..<count {
        let amount = center + Double.random(in: -1...1, using: &random) + Double.random(in: -1...1, using: &random)
        let place = Double.random(in: 0...1, using: &random) < 0.7 ? region : (row % 2 == 0 ? "south" : "east")
        text += "r\(row),\(amount),\(place)\n"
    }
    return text
}

private func monitorRepository(preset: String, referenceRows: Int) throws -> GitFixture {
    try pipelineRepository("""
        version: 1
        models:
          m:
            monitor:
              reference: reference.csv
              current: today.csv
              preset: \(preset)
              columns: {id: ignore}
        """, files: ["reference.csv": rows(referenceRows, center: 10, seed: 1), "today.csv": rows(400, center: 10, seed: 2)])
}

@Suite("monitoring production data for drift: mlgate monitor")
struct MonitorTests {
    @Test("evidently (small reference): KS and chi-square at p 0.05; no drift exits 0, drift exits 1; every check is recorded")
    func evidently() throws {
        let fixture = try monitorRepository(preset: "evidently", referenceRows: 500)
        defer { fixture.remove() }
        let calm = try fixture.mlgate(["monitor", "check", "m", "--json"])
        #expect(calm.status == 0, "\(calm)")
        let report = try jsonObject(calm.stdout)
        let columns = report["columns"] as? [[String: Any]] ?? []
        #expect(columns.map { $0["name"] as? String } == ["amount", "region"])
        #expect(columns.map { $0["method"] as? String } == ["ks", "chisquare"])
        #expect(report["drifted"] as? Bool == false)
        try fixture.write("shifted.csv", rows(400, center: 11, region: "south", seed: 3))
        let drift = try fixture.mlgate(["monitor", "check", "m", "--current", "shifted.csv"])
        #expect(drift.status == 1 && drift.stdout.contains("DRIFT in 2 of 2 columns"), "\(drift)")
        let history = try jsonObject(try fixture.mlgate(["monitor", "history", "m", "--json"]).stdout)["checks"] as? [[String: Any]] ?? []
        #expect(history.map { $0["drifted"] as? Bool } == [true, false])
    }

    @Test("on_drift: retrain queues one training job of HEAD with the verdict as its reason (untrusted until approved), honours the cool-down, and the event says drift")
    func retrainOnDrift() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              train: {cmd: 'printf "weights" > model.bin', deps: [reference.csv], outs: [model.bin]}
            models:
              m:
                artifact: model.bin
                monitor:
                  reference: reference.csv
                  current: shifted.csv
                  columns: {id: ignore}
                  on_drift: retrain
            """, files: ["reference.csv": rows(500, center: 10, seed: 1), "shifted.csv": rows(400, center: 11, region: "south", seed: 3)])
        defer { fixture.remove() }
        let environment = ["MLGATE_EVENTS_BACKGROUND": "off"]
        let untrusted = try fixture.mlgate(["monitor", "check", "m"], extraEnvironment: environment)
        #expect(untrusted.status == 1 && untrusted.stderr.contains("retraining job 1 waits: the stage commands are not approved"), "\(untrusted)")
        var jobs = try jsonObject(try fixture.mlgate(["queue", "--all", "--json"]).stdout)["jobs"] as? [[String: Any]] ?? []
        #expect(jobs.count == 1 && jobs.first?["status"] as? String == "untrusted")
        #expect((jobs.first?["reason"] as? String ?? "").hasPrefix("retrain m: drift in check 1") && jobs.first?["gate_model"] as? String == "m", "\(jobs)")
        #expect(jobs.first?["stages"] as? [String] == ["train"])

        // Within the cool-down (24 h by default) no second job, whatever the drift.
        let again = try fixture.mlgate(["monitor", "check", "m"], extraEnvironment: environment)
        #expect(again.status == 1 && again.stderr.contains("within the last 24 h"), "\(again)")
        jobs = try jsonObject(try fixture.mlgate(["queue", "--all", "--json"]).stdout)["jobs"] as? [[String: Any]] ?? []
        #expect(jobs.count == 1)
        let events = try fixture.mlgate(["events", "list", "--json"]).stdout
        #expect(events.components(separatedBy: "drift.detected").count - 1 == 2, "\(events)")

        // A typo in on_drift is refused at its line.
        let yaml = try #require(fixture.read("mlgate.yaml"))
        try fixture.write("mlgate.yaml", yaml.replacingOccurrences(of: "on_drift: retrain", with: "on_drift: retrian"))
        let refused = try fixture.mlgate(["monitor", "check", "m"], extraEnvironment: environment)
        #expect(refused.status == 2 && refused.stderr.contains("mlgate.yaml:") && refused.stderr.contains("report (the default) or retrain"), "\(refused)")
    }

    @Test("a retraining on drift meets the gate once the worker trains it: a better model is registered and promoted, a worse one replaces nothing")
    func retrainThenGate() throws {
        // The model of the CI tests: its quality is a parameter, and the evaluate command scores 400 rows with it.
        let fixture = try pipelineRepository(CIProject.retrainingConfig(), files: CIProject.retrainingFiles.merging([
            "reference.csv": rows(500, center: 10, seed: 1), "shifted.csv": rows(400, center: 11, region: "south", seed: 3)]) { $1 })
        defer { fixture.remove() }
        try CIProject.crownFirstVersion(fixture)
        let environment = ["MLGATE_EVENTS_BACKGROUND": "off"]
        func retrain(quality: Double, job: Int) throws -> [String: Any] {
            try fixture.write("params.yaml", "quality: \(quality)\n")
            try fixture.git(["commit", "-q", "-am", "quality \(quality)"])
            let check = try fixture.mlgate(["monitor", "check", "m"], extraEnvironment: environment)
            #expect(check.status == 1 && check.stderr.contains("queued retraining job \(job)"), "\(check)")
            let deadline = Date().addingTimeInterval(120)
            var found: [String: Any] = [:]
            while Date() < deadline {
                // The worker writes the store meanwhile: a read that fails on a loaded machine is tried again.
                let listed = try fixture.mlgate(["queue", "--all", "--json"])
                guard listed.status == 0, let queue = try? jsonObject(listed.stdout) else {
                    found = ["queue read failed": "\(listed)"]
                    usleep(200_000)
                    continue
                }
                let jobs = queue["jobs"] as? [[String: Any]] ?? []
                found = jobs.first { $0["id"] as? Int == job } ?? [:]
                if ["succeeded", "failed"].contains(found["status"] as? String ?? "") { break }
                usleep(200_000)
            }
            return found
        }
        let better = try retrain(quality: 0.8, job: 1)
        #expect(better["status"] as? String == "succeeded" && better["gate_model"] as? String == "m", "\(better)")
        #expect((better["reason"] as? String ?? "").hasPrefix("retrain m: drift in check 1"), "\(better)")
        #expect((better["message"] as? String ?? "").contains("gate passed against models:/m/1; registered models:/m/2, promoted to staging → production"), "\(better)")
        let afterBetter = try registeredVersions(fixture)
        #expect(afterBetter.first { $0["version"] as? Int == 2 }?["stage"] as? String == "production", "\(afterBetter)")

        let worse = try retrain(quality: 0.3, job: 2)
        #expect(worse["status"] as? String == "succeeded", "\(worse)")
        #expect((worse["message"] as? String ?? "").contains("gate failed against models:/m/2") && (worse["message"] as? String ?? "").contains("nothing registered"), "\(worse)")
        let versions = try registeredVersions(fixture)
        #expect(versions.count == 2 && versions.first { $0["version"] as? Int == 2 }?["stage"] as? String == "production", "\(versions)")
    }

    @Test("signals from files: the score column drifts while the inputs do not, the labels in the current file give the AUC against its min; a label that is not 0/1 exits 2 and records nothing")
    func signalsFromFiles() throws {
        // Inputs x alike in both; the reference's scores spread over 0…1, today's squeezed near 0.9. Today's labels
        // follow the score in the first file and run against it in the second.
        func table(_ count: Int, score: (Int) -> Double, label: (Int) -> String) -> String {
            "id,x,score,label\n" + (0..<count).map { "r\($0),\($0 % 50),\(score($0)),\(label($0))" }.joined(separator: "\n") + "\n"
        }
        let fixture = try pipelineRepository("""
            version: 1
            models:
              m:
                monitor:
                  reference: reference.csv
                  columns: {id: ignore}
                  prediction: {column: score}
                  performance: {task: binary, metric: roc_auc, min: 0.75}
            """, files: [
                "reference.csv": table(400, score: { Double($0) / 400 }, label: { $0 % 2 == 0 ? "1" : "0" }),
                "good.csv": table(200, score: { Double($0) / 200 }, label: { $0 >= 100 ? "1" : "0" }),
                "squeezed.csv": table(200, score: { 0.9 + Double($0) / 2000 }, label: { $0 < 100 ? "true" : "false" }),
                "bad-label.csv": table(200, score: { Double($0) / 200 }, label: { $0 == 7 ? "yes" : "1" }),
            ])
        defer { fixture.remove() }
        let good = try fixture.mlgate(["monitor", "check", "m", "--current", "good.csv", "--json"])
        #expect(good.status == 0, "\(good)")
        let fine = try jsonObject(good.stdout)
        let performance = try #require(fine["performance"] as? [String: Any])
        #expect(performance["value"] as? Double == 1 && performance["rows"] as? Int == 200 && performance["degraded"] as? Bool == false
                && performance["bound_kind"] as? String == "min", "\(performance)")
        #expect((fine["prediction"] as? [String: Any])?["drifted"] as? Bool == false && fine["data_drifted"] as? Bool == false)
        #expect(((fine["columns"] as? [[String: Any]]) ?? []).map { $0["name"] as? String } == ["x"], "score and label are signals, not inputs")

        let squeezed = try fixture.mlgate(["monitor", "check", "m", "--current", "squeezed.csv", "--json"])
        #expect(squeezed.status == 1, "\(squeezed)")
        let report = try jsonObject(squeezed.stdout)
        #expect(report["data_drifted"] as? Bool == false && report["drifted"] as? Bool == true)
        #expect((report["prediction"] as? [String: Any])?["drifted"] as? Bool == true)
        let degraded = try #require(report["performance"] as? [String: Any])
        #expect(degraded["value"] as? Double == 0 && degraded["degraded"] as? Bool == true, "\(degraded)")

        let before = try fixture.mlgate(["monitor", "history", "m", "--json"]).stdout
        let refused = try fixture.mlgate(["monitor", "check", "m", "--current", "bad-label.csv"])
        #expect(refused.status == 2 && refused.stderr.contains("bad-label.csv: the true outcome of labelled row 8 is 'yes'"), "\(refused)")
        #expect(try fixture.mlgate(["monitor", "history", "m", "--json"]).stdout == before, "a refused check records nothing")

        // The page shows both signals.
        #expect(try fixture.mlgate(["monitor", "check", "m", "--current", "squeezed.csv", "--html", "page.html"]).status == 1)
        let page = try #require(fixture.read("page.html"))
        #expect(page.contains("<h2>Predictions</h2>") && page.contains("performance <strong>roc_auc</strong> 0.0000 on 200 labelled rows") && page.contains("<strong>degraded</strong>"))
    }

    @Test("profiles: registering captures the reference, checks of the champion compare with it after the file changes, gc keeps it; a damaged profile or one of another model exits 2 and records nothing")
    func profiles() throws {
        let configuration = """
            version: 1
            models:
              m:
                artifact: model.txt
                lifecycle: {stages: [production]}
                monitor: {reference: reference.csv, columns: {id: ignore}}
              other:
                artifact: model.txt
                monitor: {reference: reference.csv}
            """
        let fixture = try pipelineRepository(configuration, files: ["model.txt": "weights\n", "reference.csv": rows(500, center: 10, seed: 1),
                                                                   "today.csv": rows(400, center: 10, seed: 2)])
        defer { fixture.remove() }
        let registered = try fixture.mlgate(["models", "register", "m", "--path", "model.txt"])
        #expect(registered.status == 0, "\(registered)")
        #expect(try fixture.mlgate(["promote", "m", "1", "--to", "production", "--reason", "t"]).status == 0)

        let shown = try fixture.mlgate(["monitor", "profile", "m", "--json"])
        #expect(shown.status == 0, "\(shown)")
        let profile = try jsonObject(shown.stdout)
        let columns = profile["columns"] as? [[String: Any]] ?? []
        #expect(profile["version"] as? String == "models:/m/1" && profile["rows"] as? Int == 500 && profile["reference"] as? String == "reference.csv", "\(profile)")
        #expect(columns.map { $0["kind"] as? String } == ["ignore", "numeric", "categorical"], "\(columns)")
        #expect((columns[1]["mean"] as? Double).map { abs($0 - 10) < 0.2 } == true && (columns[2]["top"] as? [String])?.first == "north")
        #expect(try fixture.mlgate(["monitor", "profile", "m"]).stdout.contains("reference reference.csv, 500 rows"))

        // The file in the repository moves; the champion's baseline does not.
        try fixture.write("reference.csv", rows(500, center: 14, seed: 1))
        #expect(try fixture.mlgate(["gc"]).status == 0)
        let check = try fixture.mlgate(["monitor", "check", "m", "--current", "today.csv", "--json"])
        #expect(check.status == 0, "\(check)")
        #expect(try jsonObject(check.stdout)["reference"] as? String == "profile of models:/m/1 (reference.csv)")
        let files = try fixture.mlgate(["monitor", "check", "m", "--current", "today.csv", "--reference-files", "--json"])
        #expect(files.status == 1, "\(files)")
        #expect(try jsonObject(files.stdout)["reference"] as? String == "reference.csv")

        // A profile of another model attached to m/1 (written into the store behind mlgate's back) is refused.
        #expect(try fixture.mlgate(["models", "register", "other", "--path", "model.txt"]).status == 0)
        let database = fixture.root + "/.mlgate/store.sqlite"
        func sql(_ statement: String) throws -> String {
            let result = try runProcess("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print(r[0][0] if r else '')", database, statement],
                                        in: fixture.root, environment: fixture.environment)
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let own = try sql("SELECT profile FROM model_versions WHERE model = 'm'")
        let foreign = try sql("SELECT profile FROM model_versions WHERE model = 'other'")
        #expect(own.count == 64 && foreign.count == 64 && own != foreign, "\(own) \(foreign)")
        _ = try sql("UPDATE model_versions SET profile = '\(foreign)' WHERE model = 'm'")
        let history = try fixture.mlgate(["monitor", "history", "m", "--json"]).stdout
        let refused = try fixture.mlgate(["monitor", "check", "m", "--current", "today.csv"])
        #expect(refused.status == 2 && refused.stderr.contains("the monitor profile attached to models:/m/1 was captured for model 'other'"), "\(refused)")

        // A damaged profile object is refused naming the version.
        _ = try sql("UPDATE model_versions SET profile = '\(own)' WHERE model = 'm'")
        let objects = fixture.root + "/.mlgate/objects/"
        let manifest = objects + own.prefix(2) + "/" + own.dropFirst(2)
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        let child = try #require(text.components(separatedBy: CharacterSet.alphanumerics.inverted).first { $0.count == 64 && $0 != own })
        let childPath = objects + child.prefix(2) + "/" + child.dropFirst(2)
        chmod(childPath, 0o644)
        try Data("id,amount,region\nr0,1,north\n".utf8).write(to: URL(fileURLWithPath: childPath))
        let damaged = try fixture.mlgate(["monitor", "check", "m", "--current", "today.csv"])
        #expect(damaged.status == 2 && damaged.stderr.contains("the monitor profile of models:/m/1 cannot be read"), "\(damaged)")
        #expect(try fixture.mlgate(["monitor", "history", "m", "--json"]).stdout == history, "a refused check records nothing")
    }

    @Test("a version registered from a run captures the reference as that run read it, not as the worktree holds it since")
    func profileFromRun() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              prepare: {cmd: cp source.csv reference.csv, deps: [source.csv], outs: [reference.csv]}
              train: {cmd: wc -l reference.csv > model.txt, deps: [reference.csv], outs: [model.txt]}
            models:
              m:
                artifact: model.txt
                monitor: {reference: reference.csv, columns: {id: ignore}}
            """, files: ["source.csv": rows(120, center: 10, seed: 1)])
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["trust"]).status == 0)
        #expect(try fixture.mlgate(["run"]).status == 0)
        try fixture.write("reference.csv", rows(7, center: 50, seed: 2))  // rewritten after the run
        #expect(try fixture.mlgate(["models", "register", "m", "--run", "1"]).status == 0)
        let profile = try jsonObject(try fixture.mlgate(["monitor", "profile", "m", "1", "--json"]).stdout)
        #expect(profile["rows"] as? Int == 120, "the run's reference, not the worktree's: \(profile)")
    }

    @Test("--html writes one self-contained page that headless Chromium renders: the table, a chart per column (drifted first), no console error")
    func htmlReport() throws {
        let fixture = try monitorRepository(preset: "evidently", referenceRows: 500)
        defer { fixture.remove() }
        try fixture.write("shifted.csv", rows(400, center: 11, region: "south", seed: 3))
        let check = try fixture.mlgate(["monitor", "check", "m", "--current", "shifted.csv", "--html", "report.html"])
        #expect(check.status == 1, "\(check)")
        let page = try #require(fixture.read("report.html"))
        #expect(page.hasPrefix("<!doctype html>") && !page.contains("<script") && !page.contains("http://") && !page.contains("https://"),
                "self-contained: nothing to fetch, nothing to run")
        #expect(page.contains("prefers-color-scheme: dark") && page.contains("width=device-width"))
        let amount = try #require(page.range(of: "<h3>amount — drifted</h3>")), region = try #require(page.range(of: "<h3>region — drifted</h3>"))
        #expect(amount.lowerBound < region.lowerBound)

        guard let rendered = try renderInChromium("report.html", fixture: fixture) else { return }
        #expect(rendered.renderedCleanly, "a rendered page, not a blank one (\(rendered.png.count) bytes), and no console error: \(rendered.log)")
        #expect(rendered.dom.components(separatedBy: "<rect").count - 1 >= 2 * 24 + 2 * 3, "every bar of both charts rendered")
        #expect(rendered.dom.contains("<table") && rendered.dom.contains("DRIFT"))
    }

    @Test("azure: normalised Wasserstein and base-2 Jensen-Shannon at 0.1; a new category and out-of-range values are counted")
    func azure() throws {
        let fixture = try monitorRepository(preset: "azure", referenceRows: 2000)
        defer { fixture.remove() }
        try fixture.write("shifted.csv", rows(400, center: 13, region: "west", seed: 4))
        let result = try fixture.mlgate(["monitor", "check", "m", "--current", "shifted.csv", "--json"])
        #expect(result.status == 1, "\(result)")
        let columns = try jsonObject(result.stdout)["columns"] as? [[String: Any]] ?? []
        let amount = try #require(columns.first { $0["name"] as? String == "amount" })
        let region = try #require(columns.first { $0["name"] as? String == "region" })
        #expect(amount["method"] as? String == "wasserstein_norm" && (amount["score"] as? Double ?? 0) > 1 && (amount["out_of_range_rate"] as? Double ?? 0) > 0.2)
        #expect(region["method"] as? String == "jensenshannon" && (region["new_category_rate"] as? Double ?? 0) > 0.5)
    }

    @Test("per-column rules: a column judged by its own method and threshold, the verdict following the threshold; a rule that cannot apply exits 2 and records nothing")
    func columnRules() throws {
        func configuration(amount: String, region: String) -> String {
            """
            version: 1
            models:
              m:
                monitor:
                  reference: reference.csv
                  current: today.csv
                  preset: azure
                  columns: {id: ignore, amount: \(amount), region: \(region)}
            """
        }
        let fixture = try pipelineRepository(configuration(amount: "{method: psi, threshold: 0.2}", region: "{method: chisquare, threshold: 0.01}"),
                                             files: ["reference.csv": rows(2000, center: 10, seed: 1), "today.csv": rows(400, center: 10, seed: 2)])
        defer { fixture.remove() }
        let calm = try fixture.mlgate(["monitor", "check", "m", "--json"])
        #expect(calm.status == 0, "\(calm)")
        let columns = try jsonObject(calm.stdout)["columns"] as? [[String: Any]] ?? []
        #expect(columns.map { $0["method"] as? String } == ["psi", "chisquare"])
        #expect(columns.map { $0["threshold"] as? Double } == [0.2, 0.01])
        #expect(columns.map { $0["score_kind"] as? String } == ["distance", "p_value"])
        try fixture.write("shifted.csv", rows(400, center: 11, region: "south", seed: 3))
        let shifted = try fixture.mlgate(["monitor", "check", "m", "--current", "shifted.csv", "--json"])
        #expect(shifted.status == 1, "\(shifted)")
        let psi = (try jsonObject(shifted.stdout)["columns"] as? [[String: Any]])?.first?["score"] as? Double ?? 0
        #expect(psi > 0.2)
        // The same shift under a threshold above its PSI is no drift of that column.
        try fixture.write("mlgate.yaml", configuration(amount: "{method: psi, threshold: \(psi * 2)}", region: "ignore"))
        let tolerant = try fixture.mlgate(["monitor", "check", "m", "--current", "shifted.csv", "--json"])
        #expect(tolerant.status == 0, "\(tolerant)")
        // A numbers-only method on a column that turns out categorical is refused at check time, naming it.
        try fixture.write("mlgate.yaml", configuration(amount: "numeric", region: "{method: ks}"))
        let refused = try fixture.mlgate(["monitor", "check", "m"])
        #expect(refused.status == 2 && refused.stderr.contains("column 'region' is categorical, and its method ks compares numbers"), "\(refused)")
        let history = try jsonObject(try fixture.mlgate(["monitor", "history", "m", "--json"]).stdout)["checks"] as? [[String: Any]] ?? []
        #expect(history.count == 3)
    }

    @Test("bad input exits 2 and records nothing: no monitor, none of the columns, missing current data; one missing column is reported and the others checked")
    func refusals() throws {
        let fixture = try monitorRepository(preset: "evidently", referenceRows: 100)
        defer { fixture.remove() }
        try fixture.write("unrelated.csv", "id,colour\nr1,red\n")
        let unrelated = try fixture.mlgate(["monitor", "check", "m", "--current", "unrelated.csv"])
        #expect(unrelated.status == 2 && unrelated.stderr.contains("has none of the reference's columns (such as 'amount'"), "\(unrelated)")
        let missing = try fixture.mlgate(["monitor", "check", "m", "--current", "nothing.csv"])
        #expect(missing.status == 2 && missing.stderr.contains("does not exist"), "\(missing)")
        let unknown = try fixture.mlgate(["monitor", "check", "other"])
        #expect(unknown.status == 2, "\(unknown)")
        #expect(try fixture.mlgate(["monitor", "history", "m"]).stdout.contains("No drift checks"))

        try fixture.write("narrow.csv", "id,amount\n" + (0..<50).map { "r\($0),\(30 + $0 % 3)" }.joined(separator: "\n") + "\n")
        let narrow = try fixture.mlgate(["monitor", "check", "m", "--current", "narrow.csv", "--json"])
        #expect(narrow.status == 1, "\(narrow)")
        let report = try jsonObject(narrow.stdout)
        #expect(report["missing_columns"] as? [String] == ["region"] && report["drifted_columns"] as? [String] == ["amount"], "\(report)")
        #expect(try fixture.mlgate(["monitor", "check", "m", "--current", "narrow.csv"]).stdout.contains("missing from the current data, not judged: region"))
    }

    @Test("columns read as numbers first fall back to text in both files: missing values, codes as categories, text in a number column counted as type errors, and a declared number holding text in the reference refused at 2")
    func readingFallbacks() throws {
        var reference = "id,amount,zip,score\n", current = "id,amount,zip,score\n"
        var random = SeededRandom(seed: 9)
        for row in 0..<2_000 {
            let amount = 10 + random.uniform() * 2
            reference += "r\(row),\(amount),\(10_000 + row % 4),\(random.uniform())\n"
            // Every 10th current amount is missing; the zip codes (numbers) are declared categorical.
            current += "c\(row),\(row % 10 == 0 ? "NA" : String(amount + 1)),\(10_000 + row % 5),\(random.uniform())\n"
        }
        let fixture = try pipelineRepository("""
            version: 1
            models:
              m:
                monitor:
                  reference: reference.csv
                  preset: azure
                  columns: {id: ignore, zip: categorical, score: numeric}
            """, files: ["reference.csv": reference, "current.csv": current])
        defer { fixture.remove() }
        let check = try fixture.mlgate(["monitor", "check", "m", "--current", "current.csv", "--json"])
        #expect(check.status == 1, "\(check)")
        let columns = try jsonObject(check.stdout)["columns"] as? [[String: Any]] ?? []
        let amount = try #require(columns.first { $0["name"] as? String == "amount" })
        let zip = try #require(columns.first { $0["name"] as? String == "zip" })
        let score = try #require(columns.first { $0["name"] as? String == "score" })
        #expect(amount["kind"] as? String == "numeric" && amount["drifted"] as? Bool == true && abs((amount["null_rate"] as? Double ?? 0) - 0.1) < 1e-12)
        #expect(amount["current_rows"] as? Int == 1_800, "the missing values are not counted as rows of the sample")
        #expect(zip["kind"] as? String == "categorical" && (zip["new_category_rate"] as? Double ?? 0) > 0.19, "\(zip)")
        #expect(score["kind"] as? String == "numeric" && score["drifted"] as? Bool == false)
        // Text where the reference has numbers is a type error, counted and left out of the statistic; in the
        // reference of a declared number it is refused, naming the column and the fix.
        let typed = current.split(separator: "\n").enumerated().map { index, line in
            index > 0 && index % 50 == 0 ? line.split(separator: ",").dropLast().joined(separator: ",") + ",oops" : String(line)
        }.joined(separator: "\n") + "\n"
        try fixture.write("typed.csv", typed)
        let counted = try fixture.mlgate(["monitor", "check", "m", "--current", "typed.csv", "--json"])
        let typedScore = try #require((try jsonObject(counted.stdout)["columns"] as? [[String: Any]])?.first { $0["name"] as? String == "score" }, "\(counted)")
        #expect(typedScore["kind"] as? String == "numeric" && typedScore["type_error_rate"] as? Double == 0.02 && typedScore["null_rate"] as? Double == 0
                && typedScore["current_rows"] as? Int == 1_960, "\(typedScore)")
        try fixture.write("reference.csv", reference.replacingOccurrences(of: ",0.", with: ",zero."))
        let refused = try fixture.mlgate(["monitor", "check", "m", "--current", "current.csv"])
        #expect(refused.status == 2 && refused.stderr.contains("the reference: column 'score' is read as numeric but holds 'zero."), "\(refused)")
    }
}

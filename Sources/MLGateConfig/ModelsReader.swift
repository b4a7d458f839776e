import MLGateCore
import Yams

/// Reads the `models:` section: each model's artifact, evaluation, promotion criteria, lifecycle and serving.
extension ConfigReader {
    static let modelKeys = ["artifact", "evaluate", "promotion", "lifecycle", "serve", "score", "monitor", "description"]

    func models(_ node: Node) throws(ConfigError) -> [ModelSpec] {
        var models: [ModelSpec] = []
        for (key, value) in try mapping(node, context: "'models'") {
            let name = try self.name(of: key)
            do { try ModelURI.validateName(name) } catch { throw self.error(at: key, error.description) }
            var model = ModelSpec(name: name)
            for (fieldNode, field) in try mapping(value, context: "model '\(name)'") {
                let fieldName = try self.name(of: fieldNode)
                switch fieldName {
                case "artifact": model.artifact = try repositoryPath(field, base: "", what: "the artifact of model '\(name)'")
                case "lifecycle": model.lifecycle = try lifecycle(field, model: name)
                case "evaluate": model.evaluation = try evaluation(field, model: name)
                case "promotion": model.promotion = try promotion(field, model: name, task: nil)
                case "serve": model.serve = try serve(field, model: name)
                case "score": model.scoring = try scoring(field, model: name)
                case "monitor": break  // read below, once the evaluation (its task and columns) is known
                case "description": break
                default:
                    throw error(at: fieldNode, "unknown key '\(fieldName)' in model '\(name)'\(suggestion(fieldName, among: Self.modelKeys)); a model has \(Self.modelKeys.joined(separator: ", ")).")
                }
            }
            if let task = model.evaluation?.task, let promotionNode = value.mapping?["promotion"] {
                model.promotion = try promotion(promotionNode, model: name, task: task)
            }
            if let monitorNode = value.mapping?["monitor"] {
                model.monitor = try monitor(monitorNode, model: name, evaluation: model.evaluation)
            }
            if model.evaluation == nil, let first = model.promotion.criteria.first(where: { $0.source == nil }) {
                throw error(at: value, "model '\(name)' has the criterion on '\(first.metric)', which needs an 'evaluate' section saying how its predictions are made.")
            }
            models.append(model)
        }
        return models
    }

    static let evaluationKeys = ["cmd", "wdir", "data", "task", "columns"]

    private func evaluation(_ node: Node, model: String) throws(ConfigError) -> EvaluationSpec {
        let fields = try mapping(node, context: "the evaluate section of model '\(model)'")
        for (key, _) in fields where !Self.evaluationKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in 'evaluate'\(suggestion(key.string ?? "", among: Self.evaluationKeys)); it has \(Self.evaluationKeys.joined(separator: ", ")).")
        }
        guard let commandNode = fields["cmd"] else {
            throw error(at: node, "'evaluate' of model '\(model)' needs a 'cmd' that writes predictions: {model} is the artifact's path, {predictions} the file to write.")
        }
        let command = try self.command(commandNode, what: "the evaluate cmd of model '\(model)'")
        guard command.display.contains("{predictions}") else {
            throw error(at: commandNode, "the evaluate cmd must write its predictions to {predictions} (mlgate replaces it with a path).")
        }
        let wdir = try fields["wdir"].map { (node) throws(ConfigError) in try repositoryPath(node, base: "", what: "the evaluate wdir of model '\(model)'").path } ?? ""
        guard let task = fields["task"]?.string, MetricCatalog.names(task: task) != nil else {
            throw error(at: fields["task"] ?? node, "'task' must be binary, multiclass or regression.")
        }
        var spec = EvaluationSpec(command: command, workingDirectory: wdir, task: task)
        if let data = fields["data"] {
            let items = data.sequence.map(Array.init) ?? [data]
            spec.data = try items.map { (item) throws(ConfigError) in try repositoryPath(item, base: wdir, what: "the evaluation data of model '\(model)'") }
        }
        if let columns = fields["columns"] {
            for (key, value) in try mapping(columns, context: "'columns'") {
                switch key.string {
                case "id": spec.id = try string(value, key: "columns.id")
                case "label": spec.label = try string(value, key: "columns.label")
                case "score":
                    let items = value.sequence.map(Array.init) ?? [value]
                    spec.scores = try items.map { (item) throws(ConfigError) in try string(item, key: "columns.score") }
                case "slice": spec.slices = (value.sequence.map(Array.init) ?? [value]).compactMap(\.string)
                default: throw error(at: key, "'columns' has id, label, score and slice.")
                }
            }
        }
        if spec.task == "multiclass", spec.scores.count < 2 {
            throw error(at: fields["columns"] ?? node, "a multiclass model needs 'score' to list one column per class, in class order: score: [p0, p1, p2].")
        }
        if spec.task != "multiclass", spec.scores.count != 1 {
            throw error(at: fields["columns"] ?? node, "a \(spec.task) model has one score column.")
        }
        return spec
    }

    static let serveKeys = ["cmd", "wdir", "files", "port", "health", "image"]
    static let scoreKeys = ["cmd", "wdir"]
    static let monitorKeys = ["reference", "current", "preset", "columns", "prediction", "performance", "drift_share", "on_drift", "retrain_cooldown_hours"]

    private func monitor(_ node: Node, model: String, evaluation: EvaluationSpec?) throws(ConfigError) -> MonitorSpec {
        let fields = try mapping(node, context: "the monitor section of model '\(model)'")
        for (key, _) in fields where !Self.monitorKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in 'monitor'\(suggestion(key.string ?? "", among: Self.monitorKeys)); it has \(Self.monitorKeys.joined(separator: ", ")).")
        }
        guard let referenceNode = fields["reference"] else {
            throw error(at: node, "'monitor' of model '\(model)' needs a 'reference': the data the model was trained on, such as reference: data/train.csv.")
        }
        var spec = MonitorSpec(reference: try repositoryPath(referenceNode, base: "", what: "the monitor reference of model '\(model)'").path)
        if let currentNode = fields["current"] { spec.current = try repositoryPath(currentNode, base: "", what: "the monitor's current data of model '\(model)'").path }
        if let presetNode = fields["preset"] {
            guard let preset = presetNode.string.flatMap(MonitorSpec.Preset.init(rawValue:)) else {
                throw error(at: presetNode, "'preset' of the monitor of model '\(model)' is evidently or azure.")
            }
            spec.preset = preset
        }
        if let columnsNode = fields["columns"] {
            for (key, value) in try mapping(columnsNode, context: "the monitor columns of model '\(model)'") {
                let column = try name(of: key)
                spec.columns[column] = try columnRule(value, column: column, model: model)
            }
        }
        if let shareNode = fields["drift_share"] {
            guard let share = shareNode.float ?? shareNode.int.map(Double.init), share > 0, share <= 1 else {
                throw error(at: shareNode, "'drift_share' of the monitor of model '\(model)' is the share of drifted columns that makes the dataset drifted: more than 0, at most 1.")
            }
            spec.driftShare = share
        }
        if let actionNode = fields["on_drift"] {
            guard let action = actionNode.scalar.flatMap({ MonitorSpec.DriftAction(rawValue: $0.string) }) else {
                throw error(at: actionNode, "'on_drift' of the monitor of model '\(model)' is report (the default) or retrain.")
            }
            spec.onDrift = action
        }
        if let cooldownNode = fields["retrain_cooldown_hours"] {
            guard let hours = cooldownNode.int, (0...8_760).contains(hours) else {
                throw error(at: cooldownNode, "'retrain_cooldown_hours' of the monitor of model '\(model)' is a whole number of hours from 0 to 8760 (default 24).")
            }
            spec.retrainCooldownHours = hours
        }
        if let predictionNode = fields["prediction"] { spec.prediction = try prediction(predictionNode, model: model, evaluation: evaluation) }
        if let performanceNode = fields["performance"] {
            spec.performance = try performance(performanceNode, model: model, evaluation: evaluation, prediction: spec.prediction)
        }
        return spec
    }

    static let predictionKeys = ["column", "reference", "kind", "method", "threshold"]

    /// The prediction-drift signal: `{column, reference, kind, method, threshold}`, the column defaulting to the
    /// evaluation's score column.
    private func prediction(_ node: Node, model: String, evaluation: EvaluationSpec?) throws(ConfigError) -> MonitorSpec.PredictionSignal {
        let fields = try mapping(node, context: "the monitor prediction of model '\(model)'")
        for (key, _) in fields where !Self.predictionKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in the monitor prediction of model '\(model)'\(suggestion(key.string ?? "", among: Self.predictionKeys)); it has \(Self.predictionKeys.joined(separator: ", ")).")
        }
        guard let column = fields["column"]?.string ?? evaluation?.scores.first else {
            throw error(at: node, "the monitor prediction of model '\(model)' needs a 'column': the model's output field, such as column: score.")
        }
        var signal = MonitorSpec.PredictionSignal(column: column)
        if let referenceNode = fields["reference"] {
            signal.reference = try repositoryPath(referenceNode, base: "", what: "the prediction reference of model '\(model)'").path
        }
        signal.rule = try rule(fields, column: column)
        if signal.rule.kind == .ignore { throw error(at: fields["kind"] ?? node, "the prediction column cannot be ignored; drop 'prediction' instead.") }
        return signal
    }

    static let performanceKeys = ["metric", "min", "max", "task", "label", "score", "min_rows"]

    /// The performance signal: `{metric, min | max, task, label, score, min_rows}`, the task and columns defaulting to
    /// the evaluation's and the prediction's.
    private func performance(_ node: Node, model: String, evaluation: EvaluationSpec?, prediction: MonitorSpec.PredictionSignal?) throws(ConfigError) -> MonitorSpec.PerformanceSignal {
        let fields = try mapping(node, context: "the monitor performance of model '\(model)'")
        for (key, _) in fields where !Self.performanceKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in the monitor performance of model '\(model)'\(suggestion(key.string ?? "", among: Self.performanceKeys)); it has \(Self.performanceKeys.joined(separator: ", ")).")
        }
        guard let task = fields["task"]?.string ?? evaluation?.task else {
            throw error(at: node, "the monitor performance of model '\(model)' needs a 'task' (binary or regression), or an 'evaluate' section that has one.")
        }
        guard task == "binary" || task == "regression" else {
            throw error(at: fields["task"] ?? node, "the monitor performance of model '\(model)' is judged for binary and regression tasks (one score column); '\(task)' is not one.")
        }
        let names = MetricCatalog.names(task: task) ?? []
        guard let metricNode = fields["metric"], let metric = metricNode.string, names.contains(metric) else {
            let given = fields["metric"]?.string ?? ""
            throw error(at: fields["metric"] ?? node, "the monitor performance of model '\(model)' needs a 'metric' of the \(task) task\(suggestion(given, among: names)): \(names.joined(separator: ", ")).")
        }
        let higher = MetricCatalog.higherIsBetter(metric) ?? true
        let (wanted, other) = higher ? ("min", "max") : ("max", "min")
        if let wrong = fields[other] {
            throw error(at: wrong, "\(metric) is better when \(higher ? "higher" : "lower"), so its bound is '\(wanted)', the worst value still acceptable, such as \(wanted): \(higher ? "0.7" : "0.3").")
        }
        guard let boundNode = fields[wanted], let bound = boundNode.float ?? boundNode.int.map(Double.init), bound.isFinite else {
            throw error(at: fields[wanted] ?? node, "the monitor performance of model '\(model)' needs '\(wanted)': the worst \(metric) still acceptable, a number.")
        }
        var signal = MonitorSpec.PerformanceSignal(metric: metric, task: task, bound: bound, higherIsBetter: higher,
                                                   label: fields["label"]?.string ?? evaluation?.label ?? "label",
                                                   score: fields["score"]?.string ?? prediction?.column ?? evaluation?.scores.first ?? "score")
        if let rowsNode = fields["min_rows"] {
            guard let rows = rowsNode.int, rows >= 1 else {
                throw error(at: rowsNode, "'min_rows' of the monitor performance of model '\(model)' is a whole number of labelled rows, at least 1 (default 30).")
            }
            signal.minimumRows = rows
        }
        return signal
    }

    static let columnRuleKeys = ["kind", "method", "threshold"]

    /// One monitored column's rule: its kind alone (`zip: categorical`), or `{kind, method, threshold}`.
    private func columnRule(_ node: Node, column: String, model: String) throws(ConfigError) -> MonitorSpec.ColumnRule {
        func kind(_ node: Node) throws(ConfigError) -> MonitorSpec.ColumnKind {
            guard let kind = node.string.flatMap(MonitorSpec.ColumnKind.init(rawValue:)) else {
                throw error(at: node, "a monitored column is numeric, categorical or ignore, or {kind, method, threshold}.")
            }
            return kind
        }
        if node.scalar != nil { return MonitorSpec.ColumnRule(kind: try kind(node)) }
        let fields = try mapping(node, context: "the monitor rule of column '\(column)' of model '\(model)'")
        for (key, _) in fields where !Self.columnRuleKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in the monitor rule of column '\(column)'\(suggestion(key.string ?? "", among: Self.columnRuleKeys)); it has kind, method and threshold.")
        }
        return try rule(fields, column: column)
    }

    /// The `kind`, `method` and `threshold` of `fields` (a column's rule, or the prediction signal's), each checked.
    private func rule(_ fields: Node.Mapping, column: String) throws(ConfigError) -> MonitorSpec.ColumnRule {
        var rule = MonitorSpec.ColumnRule()
        if let kindNode = fields["kind"] {
            guard let kind = kindNode.string.flatMap(MonitorSpec.ColumnKind.init(rawValue:)) else {
                throw error(at: kindNode, "the 'kind' of column '\(column)' is numeric, categorical or ignore.")
            }
            rule.kind = kind
        }
        let methods = MonitorSpec.DriftMethod.allCases.map(\.rawValue)
        if let methodNode = fields["method"] {
            guard let method = methodNode.string.flatMap(MonitorSpec.DriftMethod.init(rawValue:)) else {
                throw error(at: methodNode, "'method' of column '\(column)' is one of \(methods.joined(separator: ", "))\(suggestion(methodNode.string ?? "", among: methods)).")
            }
            if rule.kind == .ignore { throw error(at: methodNode, "column '\(column)' is ignored, so it has no method; drop 'method' or the 'ignore'.") }
            if method.isNumericOnly, rule.kind == .categorical {
                throw error(at: methodNode, "'\(method.rawValue)' compares numbers, and column '\(column)' is categorical; use psi, jensenshannon, chisquare or z.")
            }
            rule.method = method
        }
        if let thresholdNode = fields["threshold"] {
            guard let threshold = thresholdNode.float ?? thresholdNode.int.map(Double.init), threshold.isFinite, threshold > 0 else {
                throw error(at: thresholdNode, "'threshold' of column '\(column)' is a number above 0: a p-value (ks, chisquare, z: drift at or below it) or a distance (drift at or above it).")
            }
            if rule.method?.isPValue == true, threshold >= 1 {
                throw error(at: thresholdNode, "'threshold' of column '\(column)' is a p-value for \(rule.method?.rawValue ?? ""), below 1 (0.05 is usual).")
            }
            if rule.kind == .ignore { throw error(at: thresholdNode, "column '\(column)' is ignored, so it has no threshold; drop 'threshold' or the 'ignore'.") }
            rule.threshold = threshold
        }
        return rule
    }

    private func scoring(_ node: Node, model: String) throws(ConfigError) -> ScoringSpec {
        let fields = try mapping(node, context: "the score section of model '\(model)'")
        for (key, _) in fields where !Self.scoreKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in 'score'\(suggestion(key.string ?? "", among: Self.scoreKeys)); it has cmd and wdir.")
        }
        guard let commandNode = fields["cmd"] else {
            throw error(at: node, "'score' of model '\(model)' needs a 'cmd' that scores {input} with {model} into {output}: cmd: [python3, predict.py, --model, '{model}', --data, '{input}', --out, '{output}'].")
        }
        let command = try self.command(commandNode, what: "the score cmd of model '\(model)'")
        let used = Self.placeholders(in: command)
        for word in used where !ScoringSpec.placeholders.contains(word) {
            throw error(at: commandNode, "the score cmd of model '\(model)' has an unknown placeholder '{\(word)}'\(suggestion(word, among: ScoringSpec.placeholders)); it may use {model}, {input} and {output}.")
        }
        for needed in ScoringSpec.placeholders where !used.contains(needed) {
            throw error(at: commandNode, "the score cmd of model '\(model)' must use {\(needed)} (mlgate fills in the model's path, each partition of the input, and the file to write).")
        }
        let wdir = try fields["wdir"].map { (node) throws(ConfigError) in try repositoryPath(node, base: "", what: "the wdir of 'score' of model '\(model)'").path } ?? ""
        return ScoringSpec(command: command, workingDirectory: wdir)
    }

    private func serve(_ node: Node, model: String) throws(ConfigError) -> ServeSpec {
        let fields = try mapping(node, context: "the serve section of model '\(model)'")
        for (key, _) in fields where !Self.serveKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in 'serve'\(suggestion(key.string ?? "", among: Self.serveKeys)); it has \(Self.serveKeys.joined(separator: ", ")).")
        }
        guard let commandNode = fields["cmd"] else {
            throw error(at: node, "'serve' of model '\(model)' needs a 'cmd' that starts the server, with {model} for the model's path and {port} for the port: cmd: [python3, serve.py, --model, '{model}', --port, '{port}'].")
        }
        let command = try self.command(commandNode, what: "the serve cmd of model '\(model)'")
        for word in Self.placeholders(in: command) where !ServeSpec.placeholders.contains(word) {
            throw error(at: commandNode, "the serve cmd of model '\(model)' has an unknown placeholder '{\(word)}'\(suggestion(word, among: ServeSpec.placeholders)); it may use {model} (the model's path) and {port}.")
        }
        guard Self.placeholders(in: command).contains("model") else {
            throw error(at: commandNode, "the serve cmd of model '\(model)' must take the model's path from {model} (mlgate replaces it with where the package puts the model).")
        }
        let wdir = try fields["wdir"].map { (node) throws(ConfigError) in try repositoryPath(node, base: "", what: "the wdir of 'serve' of model '\(model)'").path } ?? ""
        guard let filesNode = fields["files"] else {
            throw error(at: node, "'serve' of model '\(model)' needs 'files': the code its cmd runs, relative to its wdir, such as [serve.py, predict.py, common.py].")
        }
        var files: [PathSpec] = []
        for item in try sequence(filesNode, "the serve files of model '\(model)'") {
            let path = try repositoryPath(item, base: wdir, what: "the serve files of model '\(model)'")
            if let other = files.first(where: { $0.overlaps(path) }) {
                throw error(at: item, "'\(path.path)' is listed twice in the serve files of model '\(model)' (it overlaps '\(other.path)').")
            }
            files.append(path)
        }
        guard !files.isEmpty else { throw error(at: filesNode, "the serve files of model '\(model)' list no file; name the code its cmd runs.") }
        var spec = ServeSpec(command: command, workingDirectory: wdir, files: files)
        if let portNode = fields["port"] {
            guard let port = portNode.int, (1...65_535).contains(port) else { throw error(at: portNode, "'port' is a whole number from 1 to 65535, such as 8080.") }
            spec.port = port
        }
        if let healthNode = fields["health"] {
            let health = try string(healthNode, key: "serve.health")
            let allowed = health.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "/._~-%?=&+".unicodeScalars.contains($0)) }
            guard health.hasPrefix("/"), allowed else {
                throw error(at: healthNode, "'health' is a URL path such as /health: it starts with '/' and uses letters, digits and / . _ ~ - % ? = & +.")
            }
            spec.health = health
        }
        if let imageNode = fields["image"] {
            let image = try string(imageNode, key: "serve.image")
            guard image.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-/:@".unicodeScalars.contains($0)) }) else {
                throw error(at: imageNode, "'image' is a container image reference such as python:3.12-slim (letters, digits and . _ - / : @).")
            }
            spec.image = image
        }
        return spec
    }

    /// The `{word}` placeholders in a command (not `${VARIABLE}`, which is the shell's).
    static func placeholders(in command: StageCommand) -> [String] {
        let text = Array(command.argv.joined(separator: " "))
        var words: [String] = []
        var index = 0
        while index < text.count {
            if text[index] == "{", index == 0 || text[index - 1] != "$",
               let close = text[(index + 1)...].firstIndex(of: "}"), close > index + 1 {
                let word = text[(index + 1)..<close]
                if word.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { words.append(String(word)) }
                index = close
            }
            index += 1
        }
        return words
    }

    static let criterionKeys = ["metric", "source", "direction", "min", "max", "vs_champion", "test", "slice", "min_rows"]

    private func promotion(_ node: Node, model: String, task: String?) throws(ConfigError) -> PromotionSpec {
        var spec = PromotionSpec()
        for (key, value) in try mapping(node, context: "the promotion section of model '\(model)'") {
            switch key.string {
            case "champion":
                spec.champion = try string(value, key: "promotion.champion")
            case "require":
                guard let mode = value.string, ["all", "any"].contains(mode) else { throw error(at: value, "'require' is all or any.") }
                spec.requireAll = mode == "all"
            case "criteria":
                guard let items = value.sequence else { throw error(at: value, "'criteria' is a list.") }
                spec.criteria = try items.map { (item) throws(ConfigError) in try criterion(item, task: task) }
            default:
                throw error(at: key, "'promotion' has champion, require and criteria.")
            }
        }
        return spec
    }

    private func criterion(_ node: Node, task: String?) throws(ConfigError) -> Criterion {
        let fields = try mapping(node, context: "a criterion")
        for (key, _) in fields where !Self.criterionKeys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in a criterion\(suggestion(key.string ?? "", among: Self.criterionKeys)); a criterion has \(Self.criterionKeys.joined(separator: ", ")).")
        }
        guard let metricNode = fields["metric"], let metric = metricNode.string, !metric.isEmpty else {
            throw error(at: node, "a criterion needs a 'metric'.")
        }
        let source = try fields["source"].map { (node) throws(ConfigError) in try repositoryPath(node, base: "", what: "the source of metric '\(metric)'").path }
        var higherIsBetter: Bool
        if let direction = fields["direction"] {
            guard let word = direction.string, ["higher", "lower"].contains(word) else { throw error(at: direction, "'direction' is higher or lower.") }
            higherIsBetter = word == "higher"
        } else if let known = MetricCatalog.higherIsBetter(metric), source == nil {
            higherIsBetter = known
        } else {
            let known = task.flatMap(MetricCatalog.names(task:)) ?? MetricCatalog.allNames
            throw error(at: metricNode, "'\(metric)' is not a metric mlgate computes\(suggestion(metric, among: known)); a custom metric read from a file needs 'source: FILE' and 'direction: higher' or 'lower'.")
        }
        if source == nil, let task, let names = MetricCatalog.names(task: task), !names.contains(metric) {
            throw error(at: metricNode, "'\(metric)' is not a \(task) metric\(suggestion(metric, among: names)); the \(task) metrics are \(names.joined(separator: ", ")).")
        }
        var criterion = Criterion(metric: metric, higherIsBetter: higherIsBetter, source: source)
        criterion.minimum = try fields["min"].map { (node) throws(ConfigError) in try number(node, key: "min") }
        criterion.maximum = try fields["max"].map { (node) throws(ConfigError) in try number(node, key: "max") }
        if let versus = fields["vs_champion"] {
            let entries = try mapping(versus, context: "'vs_champion'")
            guard entries.count == 1, let (kind, amountNode) = entries.first, let name = kind.string else {
                throw error(at: versus, "'vs_champion' has one bound: min_improvement, max_degradation (or max_drop / max_rise), optionally with _relative.")
            }
            let relative = name.hasSuffix("_relative")
            let base = relative ? String(name.dropLast(9)) : name
            let improve: Bool
            switch base {
            case "min_improvement", "min_gain": improve = true
            case "max_degradation", "max_drop", "max_rise": improve = false
            default: throw error(at: kind, "'\(name)' is not a bound; use min_improvement, max_degradation, max_drop or max_rise (with _relative for a fraction of |champion|).")
            }
            let amount = try number(amountNode, key: name)
            guard amount >= 0 else { throw error(at: amountNode, "'\(name)' must be 0 or more.") }
            criterion.versusChampion = ChampionComparison(amount: amount, mustImprove: improve, relative: relative)
        }
        if let testNode = fields["test"] {
            criterion.test = try test(testNode, metric: metric, source: source)
            if let task, task != "binary", let name = criterion.test?.name, name != "bootstrap" {
                throw error(at: testNode, "\(name) compares binary models; for a \(task) model use the bootstrap test.")
            }
        }
        if let slice = fields["slice"] {
            criterion.slice = try string(slice, key: "slice")
            guard source == nil else { throw error(at: slice, "a metric read from a file has no slices.") }
        }
        if let rows = fields["min_rows"] {
            guard let count = rows.int, count > 0 else { throw error(at: rows, "'min_rows' is a whole number above 0.") }
            criterion.minimumRows = count
        }
        return criterion
    }

    private func test(_ node: Node, metric: String, source: String?) throws(ConfigError) -> StatisticalTest {
        let fields = try mapping(node, context: "'test'")
        guard let name = fields["name"]?.string, ["delong", "mcnemar", "bootstrap"].contains(name) else {
            throw error(at: fields["name"] ?? node, "a test's 'name' is delong, mcnemar or bootstrap.")
        }
        guard source == nil else { throw error(at: node, "a metric read from a file cannot be tested: the test needs both models' predictions.") }
        if name == "delong", metric != "roc_auc" { throw error(at: node, "delong tests roc_auc only; use bootstrap for '\(metric)'.") }
        if name == "mcnemar", metric != "accuracy" { throw error(at: node, "mcnemar tests accuracy only; use bootstrap for '\(metric)'.") }
        var test = StatisticalTest(name: name)
        for (key, value) in fields where key.string != "name" {
            switch key.string {
            case "alpha":
                let alpha = try number(value, key: "alpha")
                guard alpha > 0, alpha < 1 else { throw error(at: value, "alpha must be between 0 and 1 (exclusive), such as 0.05.") }
                test.alpha = alpha
            case "kind":
                guard let kind = value.string.flatMap(StatisticalTest.Kind.init(rawValue:)) else {
                    throw error(at: value, "'kind' is superiority or non_inferiority.")
                }
                test.kind = kind
            case "margin":
                test.margin = try number(value, key: "margin")
                guard test.margin >= 0 else { throw error(at: value, "the margin must be 0 or more.") }
            case "resamples":
                guard let count = value.int, count >= 100, count <= 100_000 else { throw error(at: value, "'resamples' is a whole number from 100 to 100000.") }
                test.resamples = count
            default:
                throw error(at: key, "a test has name, alpha, kind, margin and resamples.")
            }
        }
        if name == "mcnemar", test.kind == .nonInferiority { throw error(at: node, "mcnemar tests superiority only; use bootstrap for non-inferiority on accuracy.") }
        return test
    }

    private func number(_ node: Node, key: String) throws(ConfigError) -> Double {
        guard let value = node.float ?? node.int.map(Double.init), value.isFinite else { throw error(at: node, "'\(key)' must be a number.") }
        return value
    }

    private func lifecycle(_ node: Node, model: String) throws(ConfigError) -> LifecycleSpec {
        var spec = LifecycleSpec(stages: [])
        let fields = try mapping(node, context: "the lifecycle of model '\(model)'")
        guard let stagesNode = fields["stages"], let stageList = stagesNode.sequence, !stageList.isEmpty else {
            throw error(at: node, "the lifecycle of model '\(model)' needs 'stages', a list such as [staging, production].")
        }
        for stageNode in stageList {
            guard let stage = stageNode.string, ModelURI.isValidStage(stage) else {
                throw error(at: stageNode, "a lifecycle stage is a plain name such as staging or production.")
            }
            guard !spec.stages.contains(stage) else { throw error(at: stageNode, "stage '\(stage)' is listed twice.") }
            spec.stages.append(stage)
        }
        for (keyNode, value) in fields where keyNode.string != "stages" {
            let stage = try name(of: keyNode)
            guard spec.stages.contains(stage) else {
                throw error(at: keyNode, "'\(stage)' is not one of the lifecycle stages (\(spec.stages.joined(separator: ", "))) of model '\(model)'.")
            }
            var requirement = StageRequirement()
            let settings = try mapping(value, context: "stage '\(stage)' of model '\(model)'")
            guard settings.count == 1, let requires = settings["requires"] else {
                throw error(at: value, "stage '\(stage)' has one key, 'requires': {gate: passed, approvals: N, branch: NAME}.")
            }
            for (requirementKey, requirementValue) in try mapping(requires, context: "the requirements of stage '\(stage)'") {
                switch requirementKey.string {
                case "gate":
                    guard requirementValue.string == "passed" else { throw error(at: requirementValue, "'gate' can only be 'passed'.") }
                    requirement.gate = true
                case "approvals":
                    guard let count = requirementValue.int, count >= 0, count <= 100 else {
                        throw error(at: requirementValue, "'approvals' must be a whole number from 0 to 100.")
                    }
                    requirement.approvals = count
                case "branch":
                    requirement.branch = try string(requirementValue, key: "branch")
                default:
                    throw error(at: requirementKey, "a stage requires gate, approvals or branch.")
                }
            }
            spec.requirements[stage] = requirement
        }
        return spec
    }
}

/// Reads the `deploy:` section: named targets of type `directory` or `command`.
extension ConfigReader {
    /// Why a deploy folder written as `path` (absolute, or relative to the repository) is one mlgate never writes
    /// into — the filesystem root, the repository or a folder above it, `.git` or `.mlgate` — as far as the text
    /// tells; nil otherwise. (Links are resolved when deploying.)
    static func protectedLocation(_ path: String) -> String? {
        if path.hasPrefix("/") {
            return path.split(separator: "/").filter { $0 != "." }.isEmpty ? "is the filesystem root" : nil
        }
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." { parts.removeLast() } else { parts.append(part) }
        }
        if parts.isEmpty { return "is the repository itself" }
        if parts.allSatisfy({ $0 == ".." }) { return "holds the repository" }
        if let first = parts.first, first == ".git" || first == ".mlgate" { return "is inside \(first), which belongs to \(first == ".git" ? "git" : "mlgate")" }
        return nil
    }

    func deployTargets(_ node: Node) throws(ConfigError) -> [DeploymentTarget] {
        var targets: [DeploymentTarget] = []
        for (key, value) in try mapping(node, context: "'deploy'") {
            let name = try self.name(of: key)
            guard isName(name) else { throw error(at: key, "target name '\(name)' may only use letters, digits, '.', '_' and '-'.") }
            let fields = try mapping(value, context: "deploy target '\(name)'")
            for (field, _) in fields where !["type", "path", "cmd", "model", "endpoint", "deployment", "canary"].contains(field.string ?? "") {
                throw error(at: field, "unknown key '\(field.string ?? "?")' in deploy target '\(name)'; a target has type, path (directory), cmd (command), endpoint, deployment and canary (endpoint) and model.")
            }
            var model: String?
            if let modelNode: Node = fields["model"] {
                let text = try string(modelNode, key: "deploy.\(name).model")
                do { _ = try ModelURI(parsing: text) } catch { throw self.error(at: modelNode, error.description) }
                model = text
            }
            switch fields["type"]?.string {
            case "directory":
                guard let pathNode = fields["path"], let path = pathNode.string, !path.isEmpty else {
                    throw error(at: value, "deploy target '\(name)' of type directory needs a 'path' (the folder versions are published under).")
                }
                if let problem = Self.protectedLocation(path) {
                    throw error(at: pathNode, "the path '\(path)' of deploy target '\(name)' \(problem); give a folder of its own, such as /srv/models/\(name) or ../deployments/\(name).")
                }
                targets.append(DeploymentTarget(name: name, kind: .directory(path: path), model: model))
            case "command":
                guard let commandNode = fields["cmd"] else { throw error(at: value, "deploy target '\(name)' of type command needs a 'cmd'.") }
                let command = try self.command(commandNode, what: "the cmd of deploy target '\(name)'")
                targets.append(DeploymentTarget(name: name, kind: .command(command), model: model))
            case "endpoint":
                guard let endpointNode = fields["endpoint"], let endpoint = endpointNode.string, isName(endpoint) else {
                    throw error(at: fields["endpoint"] ?? value, "deploy target '\(name)' of type endpoint needs 'endpoint': the name of an endpoint under 'endpoints:'.")
                }
                guard let deploymentNode = fields["deployment"], let deployment = deploymentNode.string, isName(deployment) else {
                    throw error(at: fields["deployment"] ?? value, "deploy target '\(name)' of type endpoint needs 'deployment': the deployment of endpoint '\(endpoint)' the version goes into, such as green.")
                }
                var canary = 100
                if let canaryNode = fields["canary"] {
                    guard let share = canaryNode.int, (0...100).contains(share) else {
                        throw error(at: canaryNode, "'canary' of deploy target '\(name)' is the new version's share of live traffic: a whole percent from 0 to 100, such as canary: 10.")
                    }
                    canary = share
                }
                targets.append(DeploymentTarget(name: name, kind: .endpoint(name: endpoint, deployment: deployment, canary: canary), model: model))
            default:
                throw error(at: fields["type"] ?? value, "deploy target '\(name)' needs 'type: directory', 'type: command' or 'type: endpoint'.")
            }
        }
        return targets
    }
}

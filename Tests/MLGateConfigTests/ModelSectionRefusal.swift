import MLGateConfig
import Testing

/// Expects `section` (one key of a model, as written on line 4 of mlgate.yaml) to be refused at that line, saying `message`.
func expectModelSectionRefused(_ section: String, saying message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try ConfigLoader.parse("version: 1\nmodels:\n  m:\n    \(section)\n", file: "mlgate.yaml")
        Issue.record("accepted: \(section)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description.contains("mlgate.yaml:4:") && error.description.contains(message), "\(error.description)", sourceLocation: sourceLocation)
    }
}

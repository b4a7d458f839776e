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

/// Expects `text` (a whole mlgate.yaml) to be refused with a message that starts at `location` and says `message`.
func expectRefused(_ text: String, at location: String, saying message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try ConfigLoader.parse(text, file: "mlgate.yaml")
        Issue.record("accepted: \(text)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description.hasPrefix(location) && error.description.contains(message), "\(error.description)", sourceLocation: sourceLocation)
    }
}

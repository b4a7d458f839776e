import Foundation
package import MLGateCore

/// One word for `/bin/sh`: single-quoted, with the single quotes inside escaped.
package enum ShellWord {
    /// `text` quoted so the shell reads it as one word, whatever it holds.
    package static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

package extension ModelVersion {
    /// The name its artifact is checked out under: the last part of the path it was registered from, else `model`.
    var artifactName: String {
        let name = sourcePath.map { ($0 as NSString).lastPathComponent } ?? ""
        return ["", ".", "..", "/"].contains(name) ? "model" : name
    }
}

package extension StageCommand {
    /// The command with each `{key}` replaced by `values[key]`: inside each word of an argument list, shell-quoted
    /// in a string (so a path with spaces stays one word).
    func substituting(_ values: [String: String]) -> StageCommand {
        let ordered = values.sorted { $0.key < $1.key }
        switch self {
        case .arguments(let words):
            return .arguments(words.map { word in ordered.reduce(word) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) } })
        case .shell(let text):
            return .shell(ordered.reduce(text) { $0.replacingOccurrences(of: "{\($1.key)}", with: ShellWord.quoted($1.value)) })
        }
    }
}
